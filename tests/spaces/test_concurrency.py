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


# --- double clicks and stale reads, each thread with its own connection ----------------------
def _space(slug, owner, environment="prod", **extra):
    from apps.spaces import permissions as perms
    from apps.spaces.models import Membership
    from tests.analytics.factories import make_cluster, make_space

    cluster = make_cluster(f"{environment}-1", environment)
    space = make_space(slug, environment, cluster, owner, **extra)
    Membership.objects.create(space=space, user=owner, role="owner")
    perms.grant_role(space, owner, "owner")
    return space


def _click(times, call):
    """Call `call()` from `times` threads at once; {"ok": n, "conflict": [messages], "error": []}."""
    from apps.spaces.exceptions import SpaceConflict

    start = threading.Barrier(times)
    outcomes = {"ok": 0, "conflict": [], "error": []}
    lock = threading.Lock()

    def click():
        try:
            start.wait(timeout=30)
            call()
            key, value = "ok", None
        except SpaceConflict as exc:
            key, value = "conflict", str(exc.detail)
        except Exception as exc:  # noqa: BLE001 - reported below
            key, value = "error", repr(exc)
        finally:
            connection.close()
        with lock:
            if key == "ok":
                outcomes["ok"] += 1
            else:
                outcomes[key].append(value)

    threads = [threading.Thread(target=click) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


CLICKS = 8


def test_a_double_click_on_request_quota_opens_one_request(require_postgres, workflows, alice):
    from apps.spaces.services import do_request_quota

    space = _space("busy", alice)
    outcomes = _click(
        CLICKS,
        lambda: do_request_quota(
            Space.objects.get(pk=space.pk),
            {"cpu": "64"},
            actor=Actor.for_user(alice),
            reason="load test",
        ),
    )
    requests = list(ApprovalRequest.objects.filter(kind="quota.raise"))
    assert len(requests) == 1
    assert outcomes["error"] == [] and outcomes["ok"] == 1
    assert outcomes["conflict"] == [
        f"A quota request for this space is already waiting for approval (#{requests[0].pk})."
    ] * (CLICKS - 1)
    assert AuditEvent.objects.filter(action="approval.submit").count() == 1


def test_a_double_click_on_renew_opens_one_request(require_postgres, workflows, alice):
    from datetime import timedelta

    from django.utils import timezone

    from apps.spaces.services import do_renew_space

    space = _space("old-test", alice, environment="test")
    # Created 100 days ago: a renewal would pass the 90-day cap, so it needs approval.
    Space.objects.filter(pk=space.pk).update(
        created_at=timezone.now() - timedelta(days=100),
        expires_at=timezone.now() + timedelta(days=1),
    )
    outcomes = _click(
        CLICKS, lambda: do_renew_space(Space.objects.get(pk=space.pk), actor=Actor.for_user(alice))
    )
    requests = list(ApprovalRequest.objects.filter(kind="space.renew.beyond_cap"))
    assert len(requests) == 1
    assert outcomes["error"] == [] and outcomes["ok"] == 1
    assert outcomes["conflict"] == [
        f"A renewal request for this space is already waiting for approval (#{requests[0].pk})."
    ] * (CLICKS - 1)


def test_the_database_refuses_a_second_pending_request_for_a_space(require_postgres, alice):
    from django.db import IntegrityError, transaction

    fields = {"kind": "quota.raise", "requester": alice, "reason": "x", "payload": {"space_id": 7}}
    ApprovalRequest.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalRequest.objects.create(**fields)
    ApprovalRequest.objects.create(**{**fields, "payload": {"space_id": 8}})  # another space
    ApprovalRequest.objects.filter(payload__space_id=7).update(state="approved")
    ApprovalRequest.objects.create(**fields)  # once decided, a new one may open


def _in_turn(first, second):
    """Run `first`, then `second`, each in its own thread and connection; the rows `second`
    acts on were read before `first` wrote (as a form posted after someone else's change).
    Returns (first's result, second's result or exception)."""
    results = {}

    def run(name, func):
        try:
            results[name] = func()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[name] = exc
        finally:
            connection.close()

    t = threading.Thread(target=run, args=("first", first))
    t.start()
    t.join(timeout=60)
    t = threading.Thread(target=run, args=("second", second))
    t.start()
    t.join(timeout=60)
    return results["first"], results["second"]


def test_two_edits_of_a_space_read_at_once_keep_both_changes(require_postgres, alice):
    from apps.spaces.services import do_update_space

    space = _space("shared", alice)
    seen_by_a, seen_by_b = Space.objects.get(pk=space.pk), Space.objects.get(pk=space.pk)
    _in_turn(
        lambda: do_update_space(seen_by_a, actor=Actor.for_user(alice), display_name="Shared shop"),
        lambda: do_update_space(
            seen_by_b, actor=Actor.for_user(alice), description="Orders and payments"
        ),
    )
    space.refresh_from_db()
    assert (space.display_name, space.description) == ("Shared shop", "Orders and payments")
    second = AuditEvent.objects.filter(action="space.update").order_by("id").last()
    assert second.changes == {"description": {"before": "", "after": "Orders and payments"}}


def test_a_role_change_read_before_a_transfer_does_not_demote_the_new_owner(
    require_postgres, alice, bob
):
    from django.core.exceptions import ValidationError

    from apps.spaces import permissions as perms
    from apps.spaces.models import Membership
    from apps.spaces.services import do_change_member_role, do_transfer_space

    space = _space("handover", alice)
    Membership.objects.create(space=space, user=bob, role="admin")
    perms.grant_role(space, bob, "admin")
    bobs_row = Membership.objects.select_related("space", "user").get(space=space, user=bob)

    _moved, demoted = _in_turn(
        lambda: do_transfer_space(Space.objects.get(pk=space.pk), bob, actor=Actor.for_user(alice)),
        lambda: do_change_member_role(bobs_row, "viewer", actor=Actor.for_user(alice)),
    )
    assert isinstance(demoted, ValidationError)
    assert demoted.message_dict == {
        "role": ["The owner's role changes only by transferring the space."]
    }
    space.refresh_from_db()
    assert space.owner == bob
    assert Membership.objects.get(space=space, user=bob).role == "owner"
    assert perms.can(bob, "transfer", space)
