"""The API under /api/v1/registries/ (credentials never returned, bad input named, unknown
fields refused, platform admins only), the portal pages and the beat entry."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from apps.audit.models import AuditEvent
from apps.operations.models import Operation
from apps.operations.services import run_operation
from apps.registries.models import Registry, RegistryRun
from apps.registries.schedules import SCHEDULE_TASK, SCHEDULE_TASK_NAME
from apps.registries.services import do_schedule_due
from tests.conftest import api_as
from tests.registries.conftest import add_registry, push_30

pytestmark = pytest.mark.django_db


def test_register_through_the_api_never_returns_the_password(plain, admin_user, alice):
    client = api_as(admin_user)
    response = client.post("/api/v1/registries/", {"name": "ci", "kind": "distribution", "url": plain.url,
                                                   "username": "robot", "password": "s3cret"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mode"] == "dry-run" and body["has_password"] is True and "password" not in body
    assert body["health"].startswith("OK")
    row = Registry.objects.get(name="ci")
    assert "s3cret" not in row.password_encrypted and row.password == "s3cret"
    assert "s3cret" not in str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert "s3cret" not in client.get("/api/v1/registries/ci/").content.decode()

    bad = client.post("/api/v1/registries/", {"name": "x", "kind": "distribution", "url": plain.url,
                                              "colour": "red"}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "colour" in str(bad.json())
    bad = client.patch("/api/v1/registries/ci/", {"policy": {"keep_last": -1}}, format="json")
    assert bad.status_code == 400 and "keep_last" in str(bad.json())
    assert api_as(alice).get("/api/v1/registries/").status_code == 403


def test_outbound_check_refuses_a_private_url(admin_user, settings):
    settings.K2_REGISTRY_ALLOWED_HOSTS = []
    response = api_as(admin_user).post("/api/v1/registries/", {"name": "meta", "kind": "harbor",
                                       "url": "http://169.254.169.254/"}, format="json")  # fmt: skip
    assert response.status_code == 400, response.json()
    assert "link-local" in str(response.json()) and "url" in str(response.json())


def test_run_through_the_api_and_read_the_report(
    plain, cluster, admin_user, django_capture_on_commit_callbacks
):
    push_30(plain.url)
    add_registry(plain.url, mode="dry-run")
    client = api_as(admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/v1/registries/plain/run/", {}, format="json")
    assert response.status_code == 202
    assert run_operation(response.json()["id"]) == "succeeded"
    runs = client.get("/api/v1/registries/plain/runs/").json()["results"]
    assert runs[0]["mode"] == "dry-run" and runs[0]["counts"]["delete"] == 18
    report = client.get(f"/api/v1/registries/runs/{runs[0]['id']}/").json()["report"]
    assert report["repositories"][0]["repository"] == "team/api"


def test_portal_pages(plain, cluster, client, admin_user, alice):
    push_30(plain.url)
    client.force_login(admin_user)
    response = client.post(
        "/registries/", {"name": "plain", "kind": "distribution", "url": plain.url}
    )
    assert response.status_code == 302
    from apps.audit.actors import Actor
    from apps.registries.services import decide_registry

    run = decide_registry(Registry.objects.get(), actor=Actor.system("tests"))
    assert "plain" in client.get("/registries/").content.decode()
    assert "would be deleted" in client.get(f"/registries/runs/{run.pk}/").content.decode()
    page = client.get("/registries/plain/").content.decode()
    assert "set (encrypted" not in page  # no password given
    client.force_login(alice)
    assert client.get("/registries/").status_code == 403


def test_the_beat_entry_starts_runs_and_gc_when_due(plain, db):
    entry = PeriodicTask.objects.get(name=SCHEDULE_TASK_NAME)
    assert entry.task == SCHEDULE_TASK and entry.enabled
    add_registry(plain.url, mode="dry-run")
    from django.utils import timezone

    now = timezone.now().replace(hour=3)
    assert do_schedule_due(now) == {"runs": 1, "gc": 1}
    assert do_schedule_due(now) == {"runs": 0, "gc": 0}
    assert set(Operation.objects.values_list("kind", flat=True)) == {
        "registries.run",
        "registries.gc",
    }
    assert not RegistryRun.objects.exists()
