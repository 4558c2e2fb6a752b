"""On PostgreSQL: twenty approvers approve the same one-step "any" request at once.

Each approver runs in its own thread with its own database connection (closed at the
end); the row lock serialises them, exactly one wins, the others get 409, and the
on-approved handler runs exactly once, even when its task is delivered twice.
"""

import threading

import pytest
from django.db import connection

from apps.accounts.roles import Role
from apps.approvals.choices import RequestState
from apps.approvals.exceptions import ApprovalConflict
from apps.approvals.models import ApprovalRequest, Decision
from apps.approvals.services import do_decide, do_run_handler
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from tests.approvals.factories import make_workflow, submit
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)
N = 20


def test_twenty_concurrent_approvals_run_the_handler_once(
    require_postgres, django_user_model, handlers, inline_handlers
):
    make_workflow("test.thing", {"approvers": "approver", "quorum": "any"})
    requester = make_user(django_user_model, "requester", Role.EMPLOYEE)
    approvers = [
        make_user(django_user_model, f"approver{i:02d}", Role.EMPLOYEE, Role.APPROVER)
        for i in range(N)
    ]
    request = submit(requester)
    start = threading.Barrier(N)
    outcomes: dict[str, list] = {"approved": [], "conflict": [], "error": []}
    lock = threading.Lock()

    def approve(user):
        try:
            mine = ApprovalRequest.objects.get(pk=request.pk)  # everyone sees it pending
            start.wait(timeout=30)
            do_decide(
                mine, actor=Actor.for_user(user), approve=True, comment=f"ok from {user.username}"
            )
            key = "approved"
        except ApprovalConflict:
            key = "conflict"
        except Exception as exc:  # noqa: BLE001 - reported below
            key = "error"
            user = f"{user.username}: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes[key].append(user)

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert outcomes["error"] == []
    assert len(outcomes["approved"]) == 1 and len(outcomes["conflict"]) == N - 1
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED and request.handled_at is not None
    assert Decision.objects.filter(request=request).count() == 1
    assert handlers.approved[request.pk] == 1
    assert inline_handlers == [request.pk]

    # A duplicate delivery of the handler task, twice at once, still changes nothing.
    again = [threading.Thread(target=lambda: (do_run_handler(request.pk), connection.close()))
             for _ in range(2)]  # fmt: skip
    for t in again:
        t.start()
    for t in again:
        t.join(timeout=30)
    assert handlers.approved[request.pk] == 1
    assert AuditEvent.objects.filter(action="approval.approve", outcome="succeeded").count() == 1
    assert AuditEvent.objects.filter(action="approval.approve", outcome="denied").count() == N - 1
    assert AuditEvent.objects.filter(action="approval.handle").count() == 1
