"""The retention task on a real worker: its event carries the request id that started it."""

import pytest

from apps.audit.models import AuditArchive, AuditEvent
from apps.core.request_context import set_request_id
from tests.audit.factories import make_event
from workers.audit import archive_old_events

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_var_dir(monkeypatch, tmp_path):
    """Point the worker process's VAR_DIR (and so its archive folder) at a temporary folder."""
    monkeypatch.setenv("K2_VAR_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def worker(worker_var_dir, celery_worker_process):
    return celery_worker_process


def test_a_task_started_by_a_request_records_with_its_request_id(worker, worker_var_dir):
    make_event("test.old")
    set_request_id("req-archive-0001")
    try:
        result = archive_old_events.delay(0)
    finally:
        set_request_id(None)
    archive_id = result.get(timeout=30)

    archive = AuditArchive.objects.get(pk=archive_id)
    assert archive.path.startswith(str(worker_var_dir / "audit-archive"))
    event = AuditEvent.objects.get(action="audit.archive")
    assert event.request_id == "req-archive-0001"
    assert (event.actor_type, event.actor_name) == ("system", "workers.audit.archive_old_events")
