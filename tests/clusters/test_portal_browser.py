"""Real Chromium: the admin registers a k2sim cluster through the portal form and sees it
become ready (the first probe runs in a real Celery worker)."""

import pytest

from apps.clusters.models import Cluster
from tests.clusters.conftest import kubeconfig_for
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_registers_a_cluster_and_sees_it_become_ready(
    page, sim, admin_user, celery_worker_process
):
    sign_in(page, "root")
    page.click("[data-testid=main-nav] [data-nav=clusters]")
    page.wait_for_selector("[data-testid=empty-state]")
    page.click("[data-testid=register-cluster]")

    page.set_input_files(
        "input[name=kubeconfig_file]",
        files=[{"name": "kubeconfig", "mimeType": "application/yaml",
                "buffer": kubeconfig_for(sim["test"], context="k2sim-test").encode()}],
    )  # fmt: skip
    # The context picker fills in from the uploaded file.
    page.wait_for_selector(
        "[data-testid=context-select] option[value=k2sim-test]", state="attached"
    )
    page.fill("input[name=name]", "test")
    page.fill("input[name=display_name]", "Test cluster")
    page.select_option("select[name=environment]", "test")
    page.click("[data-testid=register-submit]")

    page.wait_for_url("**/clusters/test/")
    page.wait_for_selector("[data-testid=cluster-state][data-state=ready]", timeout=30_000)
    assert page.inner_text("[data-testid=cluster-state]") == "Ready"
    page.reload()
    assert page.inner_text("[data-testid=cluster-nodes]") == "3"
    assert page.locator("[data-testid=node-table] tbody tr").count() == 3
    assert Cluster.objects.get(name="test").kubernetes_version.startswith("v1.")

    page.click("[data-testid=main-nav] [data-nav=clusters]")
    assert "Test cluster" in page.inner_text("[data-testid=cluster-table]")
