"""Approval tests: a registered test kind, and handlers run inline where a task would run.

`enqueue_handler` normally sends a Celery task on commit; here the same on-commit call
runs the task body (do_run_handler) in-process, so handler counts are observable.
"""

import pytest

from apps.approvals import services
from apps.approvals.registry import unregister_kind
from tests.approvals.factories import KIND, make_workflow, register_test_kind


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Personas sign in with passwords, but hashing them at full strength costs ~0.5 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
