"""In Chromium, with a real worker: an owner sees the expiry countdown of a test space and
renews it; later the space expires, the sweep backs it up and destroys it, and the owner
restores it from the space's backup list under a new name on another cluster, following
the restore's progress and report, and finds the hand-made ConfigMap back."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from kubernetes import client as k8s

from apps.spaces.lifecycle import do_sweep_expired
from apps.spaces.models import Space
from tests.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def shared_store(settings, tmp_path, monkeypatch):
    """One file store for this process and the worker (it reads the environment)."""
    url = f"file://{tmp_path / 'store'}"
    settings.K2_BACKUP_STORE_URL = url
    monkeypatch.setenv("K2_BACKUP_STORE_URL", url)


def _until(check, timeout=60.0, interval=0.5):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)
    return value


def test_owner_renews_then_restores_a_destroyed_space_from_its_backups(
    shared_store, space, alice, sim, page, celery_worker_process
):
    Space.objects.filter(pk=space.pk).update(expires_at=timezone.now() + timedelta(days=2))
    core = k8s.CoreV1Api(sim["wl-test"].api_client())
    core.create_namespaced_config_map(space.namespace, k8s.V1ConfigMap(
        metadata=k8s.V1ObjectMeta(name="feature-flags"), data={"checkout": "on"}))  # fmt: skip

    # 1. The countdown, coloured because it is close, and a renewal in one click.
    sign_in(page, "alice")
    page.goto(f"/spaces/{space.slug}/")
    days = page.locator("[data-testid=space-expiry] [data-testid=space-days-left]")
    assert days.get_attribute("data-days-left") in ("1", "2")
    assert days.get_attribute("data-colour") in ("orange", "red")
    with page.expect_navigation():
        page.click("[data-testid=space-renew]")
    assert int(page.get_attribute("[data-testid=space-expiry] [data-testid=space-days-left]",
                                  "data-days-left")) >= 8  # fmt: skip
    page.screenshot(path="var/screenshots/lifecycle-renewed.png", full_page=True)

    # 2. Later it expires: the sweep (the beat task's body) backs it up and destroys it.
    Space.objects.filter(pk=space.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert do_sweep_expired()["started"] == 1
    _until(lambda: Space.objects.get(pk=space.pk).state == "deleted")

    # 3. The owner restores it from the backup list of the destroyed space's page.
    page.goto(f"/spaces/{space.slug}/")
    page.wait_for_selector("[data-testid=backup-list]")
    assert page.get_attribute("[data-testid=backup-state]", "data-state") == "verified"
    page.click("[data-testid=backup-restore]")
    page.wait_for_selector("[data-testid=restore-form]")
    assert page.input_value("input[name=slug]") == space.slug  # the old name is free again
    new = f"{space.slug}-2"
    page.fill("input[name=slug]", new)
    page.select_option("select[name=cluster]", "wl-test2")
    page.click("[data-testid=restore-submit]")
    page.wait_for_selector("[data-testid=operation-progress][data-state=succeeded]", timeout=90_000)
    assert page.inner_text("[data-report=created]").count("ConfigMap feature-flags") == 1
    page.screenshot(path="var/screenshots/lifecycle-restored.png", full_page=True)
    page.goto(f"/spaces/{new}/")
    page.wait_for_selector("[data-testid=space-state][data-state=active]")
    flags = k8s.CoreV1Api(sim["wl-test2"].api_client()).read_namespaced_config_map(
        "feature-flags", new
    )
    assert flags.data == {"checkout": "on"}
