"""The admin page, "reconcile now", the API and the beat schedule."""

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from apps.audit.models import AuditEvent
from apps.reconciler.schedules import PASS_TASK, PASS_TASK_NAME
from apps.reconciler.services import run_pass
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    from apps.core import tasks

    calls = []
    monkeypatch.setattr(tasks, "send", lambda name, a, k, o: calls.append((list(a), k))
                        if name == "workers.reconcile.reconcile_cluster" else None)  # fmt: skip
    return calls


def test_the_admin_page_shows_passes_and_refuses_others(client, clusters, admin_user, alice,
                                                        make_space, make_app):  # fmt: skip
    make_app(make_space("rc-a"), "web")
    run_pass(clusters["rc-a"].pk)
    client.force_login(alice)
    assert client.get(reverse("reconciler:index")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("reconciler:index"))
    assert page.status_code == 200
    assert b"rc-a" in page.content and b"Reconcile now" in page.content


def test_reconcile_now_is_audited_and_queued_on_commit(client, clusters, admin_user, alice,
                                                       queued, django_capture_on_commit_callbacks):  # fmt: skip
    url = reverse("reconciler:reconcile", args=["rc-b"])
    client.force_login(alice)
    assert client.post(url).status_code == 403
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert queued == [([clusters["rc-b"].pk], {"trigger": "manual"})]
    assert AuditEvent.objects.filter(action="reconcile.request", outcome="succeeded").exists()


def test_api_passes_reconcile_and_drift(clusters, admin_user, alice, queued,
                                        django_capture_on_commit_callbacks):  # fmt: skip
    assert api_as(alice).get("/api/v1/reconciler/passes/").status_code == 403
    response = api_as(alice).post("/api/v1/reconciler/clusters/rc-a/reconcile/")
    assert response.status_code == 403 and response.json()["message"]
    assert AuditEvent.objects.filter(action="reconcile.request", outcome="denied").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(admin_user).post("/api/v1/reconciler/clusters/rc-a/reconcile/")
    assert response.status_code == 202 and len(queued) == 1
    assert api_as(admin_user).get("/api/v1/reconciler/passes/").status_code == 200
    assert api_as(alice).get("/api/v1/reconciler/drift/").json() == []


def test_the_beat_entry_exists_with_expiry():
    task = PeriodicTask.objects.get(name=PASS_TASK_NAME)
    assert task.task == PASS_TASK and task.expire_seconds == 60
    assert task.interval.every == 60 and task.interval.period == "seconds"
