"""In Chromium: a platform admin goes from the cluster page to its Calico IPAM, sees the
pool with its leaked share and the blocks, confirms "release now" on the list of what
will be released, and finds the release in the run history."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.ipam.choices import Trigger
from apps.ipam.models import IpamRun
from apps.ipam.services import run_cluster
from apps.operations.models import Operation
from apps.operations.services import run_operation
from tests.conftest import sign_in
from tests.ipam.conftest import ADMIN, make_pods, pass_grace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


def test_admin_sees_the_leaked_share_and_releases_after_confirming(
    cluster, admin_user, core, namespace, leaked_pod, page, sent
):
    _name, ip = leaked_pod
    make_pods(core, namespace, 6, prefix="live")
    run_cluster(cluster, trigger=Trigger.SCHEDULE, actor=ADMIN)
    pass_grace(cluster)
    run_cluster(cluster, trigger=Trigger.SCAN, actor=ADMIN)
    SHOTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, "root")
    page.goto(f"/clusters/{cluster.name}/")
    page.click("[data-testid=cluster-ipam]")
    row = page.wait_for_selector("[data-testid=pool-row][data-pool=default-ipv4-ippool]")
    assert int(row.get_attribute("data-leaked")) >= 1
    assert float(row.get_attribute("data-leaked-share")) > 0
    assert page.locator("[data-testid=block-row]").count() >= 1
    assert page.locator("[data-nav=ipam]").count() == 1
    page.screenshot(path=str(SHOTS / "ipam-cluster.png"), full_page=True)

    page.click("[data-testid=ipam-release]")
    page.wait_for_selector("[data-testid=ipam-release-confirm]")
    assert ip in page.inner_text("[data-testid=ipam-preview]")
    page.screenshot(path=str(SHOTS / "ipam-release-confirm.png"), full_page=True)
    with page.expect_navigation():
        page.click("[data-testid=ipam-release-submit]")
    operation = Operation.objects.get(kind="ipam.run", params__trigger="release")
    assert run_operation(operation.pk) == "succeeded"

    page.goto(f"/ipam/clusters/{cluster.name}/")
    page.wait_for_selector("[data-testid=run-row]")
    run = IpamRun.objects.get(operation=operation)
    assert ip in {r["ip"] for r in run.report["released"]}
    page.goto(f"/ipam/runs/{run.pk}/")
    assert ip in page.inner_text("[data-testid=run-released]")
    page.screenshot(path=str(SHOTS / "ipam-run.png"), full_page=True)
