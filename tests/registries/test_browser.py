"""In Chromium: a platform admin registers the registry, previews the policy (what would
be deleted and why the rest is kept), runs it, garbage-collects through Harbor, and sees
the report with the bytes reclaimed."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.operations.models import Operation
from apps.operations.services import run_operation
from apps.registries.models import RegistryRun
from tests.conftest import sign_in
from tests.registries import distribution
from tests.registries.conftest import push_30, run_pod

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("var/screenshots")


def _run_queued(kind: str) -> None:
    for operation in Operation.objects.filter(kind=kind, state="queued"):
        assert run_operation(operation.pk) == "succeeded"


def test_admin_registers_previews_runs_and_sees_bytes_reclaimed(
    harbor, cluster, core, namespace, admin_user, page
):
    push_30(harbor.backing.url, layer_bytes=1024 * 1024 + 3)
    run_pod(core, namespace, f"{harbor.backing.host}/team/api:build-2")
    SHOTS.mkdir(parents=True, exist_ok=True)

    sign_in(page, "root")
    page.click("[data-nav=registries]")
    page.fill("[name=name]", "harbor")
    page.select_option("[name=kind]", "harbor")
    page.fill("[name=url]", harbor.url)
    page.fill("[name=username]", "admin")
    page.fill("[name=password]", "Harbor12345")
    page.fill("[name=pull_host]", harbor.backing.host)
    with page.expect_navigation():
        page.click("[data-testid=registry-submit]")
    assert "OK: Harbor" in page.inner_text("[data-testid=registry-health]")
    assert "Harbor12345" not in page.content()

    with page.expect_navigation():
        page.click("[data-testid=registry-preview]")
    _run_queued("registries.run")
    preview = RegistryRun.objects.get(mode="dry-run")
    page.goto(f"/registries/runs/{preview.pk}/")
    row = page.locator("[data-testid=decision][data-tags=build-2]")
    assert "running in" in row.inner_text() and cluster.name in row.inner_text()
    assert page.locator("[data-testid=decision][data-delete='1']").count() == 17
    assert "protected tag pattern" in page.inner_text("[data-testid=decision][data-tags=release-1]")
    page.screenshot(path=str(SHOTS / "registries-preview.png"), full_page=True)
    assert len(distribution.tags(harbor.backing.url, "team/api")) == 30

    page.goto("/registries/harbor/")
    page.select_option("[name=mode]", "delete")
    with page.expect_navigation():
        page.click("[data-testid=registry-save]")
    with page.expect_navigation():
        page.click("[data-testid=registry-run]")
    _run_queued("registries.run")
    with page.expect_navigation():
        page.click("[data-testid=registry-gc]")
    _run_queued("registries.gc")
    assert len(distribution.tags(harbor.backing.url, "team/api")) == 13

    page.goto("/registries/harbor/")
    page.screenshot(path=str(SHOTS / "registries-detail.png"), full_page=True)
    gc = RegistryRun.objects.get(what="gc")
    page.click(f"[data-testid=run-row][data-run='{gc.pk}'] a")
    reclaimed = page.wait_for_selector("[data-testid=run-bytes]")
    assert int(reclaimed.get_attribute("data-bytes")) >= 17 * 1024 * 1024
    assert "MB" in reclaimed.inner_text()
    page.screenshot(path=str(SHOTS / "registries-gc.png"), full_page=True)
