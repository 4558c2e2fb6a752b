"""Through a real Celery worker process: the deadline sweep expires an overdue request and
the handler task it enqueues on commit runs in the worker too (no eager mode)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.approvals.choices import RequestState
from apps.approvals.models import ApprovalRequest
from apps.audit.models import AuditEvent
from tests.conftest import make_user
from workers.approvals import process_deadlines

pytestmark = pytest.mark.django_db(transaction=True)


def test_real_worker_expires_and_hands_over_to_the_handler(
    celery_worker_process, django_user_model
):
    requester = make_user(django_user_model, "requester")
    past = timezone.now() - timedelta(days=4)
    request = ApprovalRequest(
        kind="test.not-registered-in-the-worker",
        requester=requester,
        reason="overdue",
        steps=[{"name": "Lead", "approvers": "approver", "quorum": "any", "quorum_count": 1,
                "deadline_seconds": 3600, "remind_after_seconds": None, "escalate_to": ""}],
        created_at=past,
    )  # fmt: skip
    request.enter_step(0, past)
    request.save()

    counts = process_deadlines.delay().get(timeout=30)
    assert counts == {"reminded": 0, "escalated": 0, "expired": 1, "requeued": 0}
    request.refresh_from_db()
    assert request.state == RequestState.EXPIRED

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        request.refresh_from_db()
        if request.handler_error:
            break
        time.sleep(0.2)
    # The worker ran the handler task: the kind is unknown there, so it says so in words
    # and leaves the request unclaimed for a retry once the kind is registered.
    assert request.handler_error == "UnknownKind: test.not-registered-in-the-worker"
    assert request.handled_at is None
    assert AuditEvent.objects.filter(action="approval.expire", actor_type="system").exists()
    assert AuditEvent.objects.filter(action="approval.handle", outcome="failed").exists()
