"""Property-based tests of the engine: whatever approvers, requesters and duplicate tasks do,
no request is approved without its quorum at every step, and no handler runs twice.

Each example runs a random workflow (1-3 steps, quorum any / all / count) and a random
sequence of approve, reject, cancel and duplicate handler runs against a small model of the
rules; the engine must agree with the model at every move.
"""

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.accounts.roles import Role
from apps.approvals.choices import RequestState
from apps.approvals.exceptions import ApprovalConflict
from apps.approvals.models import Decision
from apps.approvals.services import do_cancel_request, do_decide, do_run_handler
from apps.audit.actors import Actor
from tests.approvals.factories import make_workflow, submit
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

APPROVERS = 4
step_st = st.one_of(
    st.just({"quorum": "any"}),
    st.just({"quorum": "all"}),
    st.integers(1, 3).map(lambda n: {"quorum": "count", "quorum_count": n}),
)
# actor: 0..3 approvers, 4 the requester (when not an approver), 5 an outsider
move_st = st.tuples(
    st.sampled_from(["approve", "approve", "approve", "reject", "cancel", "replay"]),
    st.integers(0, 5),
)


@pytest.fixture
def people(django_user_model):
    approvers = [
        make_user(django_user_model, f"p{i}", Role.EMPLOYEE, Role.APPROVER)
        for i in range(APPROVERS)
    ]
    requester = make_user(django_user_model, "req", Role.EMPLOYEE)
    outsider = make_user(django_user_model, "out")
    return approvers, requester, outsider


class Model:
    """The rules, written plainly."""

    def __init__(self, steps, requester_is_approver):
        self.steps = steps
        self.state = "pending"
        self.step = 0
        self.decided: dict[int, set] = {}
        self.approvals: dict[int, int] = {}
        self.eligible = APPROVERS - (1 if requester_is_approver else 0)

    def required(self, index):
        step = self.steps[index]
        if step["quorum"] == "count":
            return step["quorum_count"]
        return self.eligible if step["quorum"] == "all" else 1

    def decide(self, who, approve, *, is_requester, is_approver):
        if is_requester:
            return PermissionDenied
        if self.state != "pending":
            return ApprovalConflict
        if not is_approver:
            return PermissionDenied
        if who in self.decided.setdefault(self.step, set()):
            return ApprovalConflict
        self.decided[self.step].add(who)
        if not approve:
            self.state = "rejected"
            return None
        self.approvals[self.step] = self.approvals.get(self.step, 0) + 1
        if self.approvals[self.step] >= self.required(self.step):
            if self.step + 1 < len(self.steps):
                self.step += 1
            else:
                self.state = "approved"
        return None

    def cancel(self, is_requester):
        if not is_requester:
            return PermissionDenied
        if self.state != "pending":
            return ApprovalConflict
        self.state = "cancelled"
        return None


@settings(
    max_examples=40,
    database=None,  # no .hypothesis/ example store in the work tree
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(step_st, min_size=1, max_size=3),
    moves=st.lists(move_st, max_size=14),
    requester_is_approver=st.booleans(),
)
def test_engine_agrees_with_the_rules(
    people, handlers, django_capture_on_commit_callbacks, steps, moves, requester_is_approver
):
    approvers, plain_requester, outsider = people
    make_workflow("test.thing", *({"approvers": "approver", **s} for s in steps))
    requester = approvers[0] if requester_is_approver else plain_requester
    actors = [*approvers, plain_requester, outsider]
    request = submit(requester)
    model = Model(steps, requester_is_approver)

    for op, index in moves:
        actor = requester if index == 4 else actors[index]
        is_requester = actor == requester
        is_approver = actor in approvers and not is_requester
        if op == "replay":  # a duplicate delivery of the handler task
            with django_capture_on_commit_callbacks(execute=True):
                do_run_handler(request.pk)
            continue
        if op == "cancel":
            expected = model.cancel(is_requester)
        else:
            expected = model.decide(
                actor.pk, op == "approve", is_requester=is_requester, is_approver=is_approver
            )
        raised = None
        try:
            with django_capture_on_commit_callbacks(execute=True):
                if op == "cancel":
                    do_cancel_request(request, actor=Actor.for_user(actor))
                else:
                    do_decide(
                        request,
                        actor=Actor.for_user(actor),
                        approve=op == "approve",
                        comment="because",
                    )
        except (PermissionDenied, ApprovalConflict) as exc:
            raised = type(exc)
        assert raised is expected, (op, index, model.state)
        request.refresh_from_db()
        assert request.state == model.state
        if request.is_pending:
            assert request.current_step == model.step

    # The invariants, read from the database alone.
    decisions = list(Decision.objects.filter(request=request))
    if request.state == RequestState.APPROVED:
        assert not any(d.verdict == "reject" for d in decisions)
        for i in range(len(steps)):
            approvals = sum(1 for d in decisions if d.step == i and d.verdict == "approve")
            assert approvals >= model.required(i)
    assert all(d.approver_id != requester.pk for d in decisions)
    assert len({(d.step, d.approver_id) for d in decisions}) == len(decisions)
    do_run_handler(request.pk)
    assert handlers.approved[request.pk] == (1 if request.state == "approved" else 0)
    ended_otherwise = request.state in ("rejected", "cancelled")
    assert handlers.rejected[request.pk] == (1 if ended_otherwise else 0)
