"""Approval tests: a registered test kind, and handlers run inline where a task would run.

`enqueue_handler` normally sends a Celery task on commit; here the same on-commit call
runs the task body (do_run_handler) in-process, so handler counts are observable.
"""

import pytest

from apps.approvals import services
from apps.approvals.registry import unregister_kind
from tests.approvals.factories import KIND, make_workflow, register_test_kind


@pytest.fixture(autouse=True)
def inline_emails(monkeypatch):
    """Run the email task's body where the task would be enqueued (on commit)."""
    from apps.approvals import notifications

    monkeypatch.setattr(notifications, "enqueue_emails", notifications.send_emails)


@pytest.fixture(autouse=True)
def inline_handlers(monkeypatch):
    calls = []

    def run_now(request_id):
        calls.append(request_id)
        services.do_run_handler(request_id)

    monkeypatch.setattr(services, "enqueue_handler", run_now)
    return calls


@pytest.fixture
def handlers(db):
    counting = register_test_kind()
    yield counting
    unregister_kind(KIND)


@pytest.fixture
def workflow(handlers):
    """One step, any one member of the 'approver' group."""
    return make_workflow()
