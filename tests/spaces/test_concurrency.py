"""On PostgreSQL, with a real Celery worker: twenty approvers approve the same production
space request (one step, any one approver) at once; exactly one namespace is provisioned."""

import threading
import time

import pytest
from django.db import connection

from apps.accounts.roles import Role
from apps.approvals.exceptions import ApprovalConflict
from apps.approvals.models import ApprovalRequest
from apps.approvals.services import do_decide
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.spaces.choices import SpaceState
from apps.spaces.models import Space, SpaceTransition
from apps.spaces.services import do_create_space
from tests.approvals.factories import make_workflow
from tests.conftest import make_user
from tests.spaces.conftest import namespaces

pytestmark = pytest.mark.django_db(transaction=True)
N = 20


def wait_for_state(space_id, state, timeout=45):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = Space.objects.get(pk=space_id).state
        if current == state:
            return current
        time.sleep(0.2)
    pytest.fail(f"space still {current!r} after {timeout}s, wanted {state!r}")


def test_twenty_concurrent_approvals_provision_one_namespace(
    require_postgres, django_user_model, prod_cluster, sim, celery_worker_process
):
    make_workflow("space.create.prod", {"approvers": "approver", "quorum": "any"})
    requester = make_user(django_user_model, "requester", Role.EMPLOYEE)
    approvers = [
        django_user_model.objects.create_user(username=f"approver{i:02d}", password=None)
        for i in range(N)
    ]
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=Role.APPROVER)
    for user in approvers:
        user.groups.add(group)
    result = do_create_space(
        actor=Actor.for_user(requester), slug="race-shop", environment="prod", cluster="prod-1",
        reason="Black Friday",
    )  # fmt: skip
    request = result.approval
    start = threading.Barrier(N)
    outcomes = {"approved": 0, "conflict": 0, "error": []}
    lock = threading.Lock()

    def approve(user):
        try:
            mine = ApprovalRequest.objects.get(pk=request.pk)
            start.wait(timeout=30)
            do_decide(mine, actor=Actor.for_user(user), approve=True, comment="go")
            key = "approved"
        except ApprovalConflict:
            key = "conflict"
        except Exception as exc:  # noqa: BLE001 - reported below
            key = "error"
            with lock:
                outcomes["error"].append(f"{user.username}: {exc!r}")
        finally:
            connection.close()
        if key != "error":
            with lock:
                outcomes[key] += 1

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == {"approved": 1, "conflict": N - 1, "error": []}

    wait_for_state(result.space.pk, SpaceState.ACTIVE)
    assert namespaces(sim["prod"], "race-shop") == ["race-shop"]
    space = Space.objects.get(pk=result.space.pk)
    assert SpaceTransition.objects.filter(space=space, to_state="provisioning").count() == 1
    assert SpaceTransition.objects.filter(space=space, to_state="active").count() == 1
    assert AuditEvent.objects.filter(action="approval.handle").count() == 1
    assert space.placements.get().status == "ready"
