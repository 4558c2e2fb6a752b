"""Workflows, a test request kind with a counting handler, and requests for the tests."""

import threading
from collections import Counter
from datetime import timedelta

from django.core.exceptions import ValidationError

from apps.approvals.models import WorkflowDefinition, WorkflowStep
from apps.approvals.registry import register_kind, unregister_kind
from apps.approvals.services import do_submit_request
from apps.audit.actors import Actor

KIND = "test.thing"


class CountingHandlers:
    """Counts on_approved / on_rejected calls per request id (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.approved: Counter = Counter()
        self.rejected: Counter = Counter()

    def on_approved(self, request):
        with self.lock:
            self.approved[request.pk] += 1

    def on_rejected(self, request):
        with self.lock:
            self.rejected[request.pk] += 1


def validate_thing(payload, *, requester):
    size = payload.get("size")
    if not isinstance(size, int) or not 1 <= size <= 10:
        raise ValidationError({"size": ["Size must be a whole number from 1 to 10."]})
    return {"size": size}


def register_test_kind(kind=KIND, handlers=None, *, direct=True):
    handlers = handlers or CountingHandlers()
    register_kind(
        kind,
        validate_payload=validate_thing,
        on_approved=handlers.on_approved,
        on_rejected=handlers.on_rejected,
        describe=lambda r: f"Thing of size {r.payload.get('size')}",
        allow_direct_submit=direct,
    )
    return handlers


def make_workflow(kind=KIND, *steps):
    """steps: dicts with approvers, quorum, quorum_count, deadline... (defaults: one 'any' step
    of the approver group)."""
    definition, _ = WorkflowDefinition.objects.update_or_create(
        kind=kind, defaults={"name": kind, "is_active": True}
    )
    definition.steps.all().delete()
    for order, step in enumerate(steps or [{"approvers": "approver"}], start=1):
        WorkflowStep.objects.create(
            definition=definition,
            order=order,
            name=step.get("name", f"Step {order}"),
            approvers=step["approvers"],
            quorum=step.get("quorum", "any"),
            quorum_count=step.get("quorum_count", 1),
            deadline=step.get("deadline"),
            remind_after=step.get("remind_after"),
            escalate_to=step.get("escalate_to", ""),
        )
    return definition


def submit(requester, *, kind=KIND, size=3, reason="Need it for the release", target=None):
    return do_submit_request(
        kind, {"size": size}, actor=Actor.for_user(requester), reason=reason, target=target
    )


HOUR = timedelta(hours=1)
__all__ = ["KIND", "HOUR", "unregister_kind"]
