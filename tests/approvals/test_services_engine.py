"""The state machine of the approval engine, through its services."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from apps.accounts.roles import Role
from apps.approvals.choices import RequestState
from apps.approvals.exceptions import ApprovalConflict
from apps.approvals.models import AppendOnlyError, Decision, Notification
from apps.approvals.registry import register_approver_resolver, unregister_approver_resolver
from apps.approvals.selectors import (
    inbox_for,
    pending_count_for,
    requested_by,
    requests_visible_to,
)
from apps.approvals.services import (
    do_cancel_request,
    do_decide,
    do_run_handler,
    do_submit_request,
    do_update_definition,
)
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from tests.approvals.factories import make_workflow, submit
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def erin(django_user_model):
    """A second approver."""
    return make_user(django_user_model, "erin", Role.EMPLOYEE, Role.APPROVER)


@pytest.fixture
def frank(django_user_model):
    """A third approver."""
    return make_user(django_user_model, "frank", Role.EMPLOYEE, Role.APPROVER)


def events(action):
    return AuditEvent.objects.filter(action=action)


def test_submit_opens_a_pending_request_and_notifies_the_approvers(
    workflow, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(alice, target=("spaces.space", "team-a", "Team A"))
    assert request.state == RequestState.PENDING and request.current_step == 0
    assert request.steps[0]["approvers"] == "approver"
    assert (request.target_type, request.target_id, request.target_name) == (
        "spaces.space", "team-a", "Team A",
    )  # fmt: skip
    event = events("approval.submit").get()
    assert event.actor_name == "alice" and event.target_id == str(request.pk)
    assert list(Notification.objects.values_list("user__username", "verb")) == [
        ("bob", "submitted")
    ]
    assert [m.to for m in mail.outbox] == [["bob@example.test"]]
    assert f"/approvals/{request.pk}/" in mail.outbox[0].body


def test_submit_refuses_bad_input_with_field_names(workflow, alice):
    with pytest.raises(ValidationError) as exc:
        submit(alice, size=99)
    assert exc.value.message_dict == {"payload.size": ["Size must be a whole number from 1 to 10."]}
    with pytest.raises(ValidationError) as exc:
        submit(alice, reason="  ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        do_submit_request("no.such.kind", {}, actor=Actor.for_user(alice), reason="x")
    assert "Unknown request kind" in exc.value.message_dict["kind"][0]
    workflow.is_active = False
    workflow.save()
    with pytest.raises(ValidationError) as exc:
        submit(alice)
    assert "No active workflow" in exc.value.message_dict["kind"][0]


@pytest.mark.smoke
def test_one_step_any_approval_runs_the_handler_once(
    workflow, handlers, alice, bob, django_capture_on_commit_callbacks
):
    request = submit(alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = do_decide(request, actor=Actor.for_user(bob), approve=True, comment="fine")
    assert request.state == RequestState.APPROVED and request.decided_at is not None
    assert handlers.approved[request.pk] == 1 and not handlers.rejected
    request.refresh_from_db()
    assert request.handled_at is not None
    assert do_run_handler(request.pk) is False  # a duplicate task does nothing
    assert handlers.approved[request.pk] == 1
    assert events("approval.approve").get().changes["state"] == {
        "before": "pending",
        "after": "approved",
    }
    assert events("approval.handle").count() == 1
    assert Notification.objects.filter(user=alice, verb="approved").exists()
    assert [m.to for m in mail.outbox] == [["alice@example.test"]]


def test_nobody_decides_their_own_request_even_as_an_approver(workflow, bob, erin):
    request = submit(bob)
    with pytest.raises(PermissionDenied, match="your own request"):
        do_decide(request, actor=Actor.for_user(bob), approve=True)
    denied = events("approval.approve").get()
    assert denied.outcome == "denied" and denied.actor_name == "bob"
    assert inbox_for(bob).count() == 0 and inbox_for(erin).count() == 1


def test_only_approvers_of_the_current_step_decide(workflow, alice, charlie, admin_user):
    request = submit(alice)
    for outsider in (charlie, admin_user):
        with pytest.raises(PermissionDenied, match="not an approver of step 1"):
            do_decide(request, actor=Actor.for_user(outsider), approve=True)
    assert not Decision.objects.exists()


def test_deciding_a_decided_request_is_a_conflict(workflow, alice, bob, erin):
    request = submit(alice)
    do_decide(request, actor=Actor.for_user(bob), approve=True)
    request.refresh_from_db()
    with pytest.raises(ApprovalConflict, match="already approved"):
        do_decide(request, actor=Actor.for_user(erin), approve=True)
    # Even a stale copy, read before the decision: the lock re-checks the state.
    stale = submit(alice)
    copy = type(stale).objects.get(pk=stale.pk)
    do_decide(stale, actor=Actor.for_user(bob), approve=True)
    with pytest.raises(ApprovalConflict, match="already approved"):
        do_decide(copy, actor=Actor.for_user(erin), approve=True)
    assert events("approval.approve").filter(outcome="denied").count() == 2


@pytest.mark.smoke
def test_two_steps_then_approved(handlers, alice, bob, admin_user):
    make_workflow(
        "test.thing",
        {"name": "Team lead", "approvers": "approver"},
        {"name": "Platform", "approvers": Role.PLATFORM_ADMIN.value},
    )
    request = submit(alice)
    assert list(inbox_for(admin_user)) == [] and list(inbox_for(bob)) == [request]
    with pytest.raises(PermissionDenied):
        do_decide(request, actor=Actor.for_user(admin_user), approve=True)
    request = do_decide(request, actor=Actor.for_user(bob), approve=True, comment="ok for me")
    assert request.state == RequestState.PENDING and request.current_step == 1
    assert list(inbox_for(admin_user)) == [request] and list(inbox_for(bob)) == []
    assert Notification.objects.filter(user=admin_user, verb="submitted").exists()
    assert Notification.objects.filter(user=alice, verb="step_approved").exists()
    request = do_decide(request, actor=Actor.for_user(admin_user), approve=True)
    assert request.state == RequestState.APPROVED
    assert list(request.decisions.values_list("step", "approver__username")) == [
        (0, "bob"),
        (1, "root"),
    ]


def test_rejection_needs_a_comment_and_ends_the_request(
    handlers, alice, bob, admin_user, django_capture_on_commit_callbacks
):
    make_workflow("test.thing", {"approvers": "approver"}, {"approvers": Role.PLATFORM_ADMIN.value})
    request = submit(alice)
    with pytest.raises(ValidationError) as exc:
        do_decide(request, actor=Actor.for_user(bob), approve=False, comment="")
    assert "comment" in exc.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        request = do_decide(
            request, actor=Actor.for_user(bob), approve=False, comment="Use a test space"
        )
    assert request.state == RequestState.REJECTED and request.current_step == 0
    assert handlers.rejected[request.pk] == 1 and not handlers.approved
    note = Notification.objects.get(user=alice)
    assert note.verb == "rejected" and note.actor_name == "bob"
    with pytest.raises(ApprovalConflict):
        do_decide(request, actor=Actor.for_user(admin_user), approve=True)


def test_quorum_of_two_and_one_decision_per_step(handlers, alice, bob, erin, frank):
    make_workflow("test.thing", {"approvers": "approver", "quorum": "count", "quorum_count": 2})
    request = submit(alice)
    request = do_decide(request, actor=Actor.for_user(bob), approve=True)
    assert request.state == RequestState.PENDING
    assert pending_count_for(bob) == 0 and pending_count_for(erin) == 1
    with pytest.raises(ApprovalConflict, match="already decided step 1"):
        do_decide(request, actor=Actor.for_user(bob), approve=True)
    request = do_decide(request, actor=Actor.for_user(erin), approve=True)
    assert request.state == RequestState.APPROVED
    assert pending_count_for(frank) == 0


def test_quorum_all_needs_every_approver_but_the_requester(handlers, bob, erin, frank):
    make_workflow("test.thing", {"approvers": "approver", "quorum": "all"})
    request = submit(bob)  # bob is an approver himself: erin and frank must both approve
    request = do_decide(request, actor=Actor.for_user(erin), approve=True)
    assert request.state == RequestState.PENDING
    request = do_decide(request, actor=Actor.for_user(frank), approve=True)
    assert request.state == RequestState.APPROVED


def test_requester_cancels_while_pending(
    workflow, handlers, alice, bob, django_capture_on_commit_callbacks
):
    request = submit(alice)
    with pytest.raises(PermissionDenied, match="Only the requester"):
        do_cancel_request(request, actor=Actor.for_user(bob))
    with django_capture_on_commit_callbacks(execute=True):
        request = do_cancel_request(request, actor=Actor.for_user(alice))
    assert request.state == RequestState.CANCELLED and request.decided_at
    assert handlers.rejected[request.pk] == 1
    assert Notification.objects.filter(user=bob, verb="cancelled").exists()
    with pytest.raises(ApprovalConflict, match="already cancelled"):
        do_cancel_request(request, actor=Actor.for_user(alice))
    with pytest.raises(ApprovalConflict, match="already cancelled"):
        do_decide(request, actor=Actor.for_user(bob), approve=True)
    assert events("approval.cancel").filter(outcome="succeeded").count() == 1
    assert events("approval.cancel").filter(outcome="denied").count() == 2


def test_decisions_are_append_only(workflow, alice, bob):
    request = do_decide(submit(alice), actor=Actor.for_user(bob), approve=True, comment="yes")
    decision = request.decisions.get()
    decision.comment = "changed"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        Decision.objects.filter(pk=decision.pk).update(comment="x")
    with pytest.raises(AppendOnlyError):
        decision.delete()


def test_requests_keep_the_steps_they_started_with(workflow, alice, bob, admin_user):
    request = submit(alice)
    do_update_definition(
        workflow,
        actor=Actor.for_user(admin_user),
        steps=[{"name": "Admins", "approvers": "platform-admin"}],
    )
    request.refresh_from_db()
    assert request.steps[0]["approvers"] == "approver"
    assert (
        do_decide(request, actor=Actor.for_user(bob), approve=True).state == RequestState.APPROVED
    )
    assert submit(alice).current_approvers == "platform-admin"


def test_definitions_are_changed_by_platform_admins_with_known_approvers(workflow, bob, admin_user):
    with pytest.raises(PermissionDenied):
        do_update_definition(workflow, actor=Actor.for_user(bob), name="Mine now")
    with pytest.raises(ValidationError) as exc:
        do_update_definition(
            workflow,
            actor=Actor.for_user(admin_user),
            steps=[{"name": "Owners", "approvers": "test-owners", "quorum": "any"}],
        )
    assert (
        "neither a group nor a known approver role"
        in (exc.value.message_dict["steps[0].approvers"][0])
    )
    register_approver_resolver("test-owners", users=lambda request: type(bob).objects.none())
    try:
        do_update_definition(
            workflow,
            actor=Actor.for_user(admin_user),
            steps=[{"name": "Owners", "approvers": "test-owners"}],
        )
    finally:
        unregister_approver_resolver("test-owners")
    assert list(workflow.steps.values_list("approvers", flat=True)) == ["test-owners"]
    event = events("approval.definition.update").get(outcome="succeeded")
    assert event.changes["steps"]["after"][0]["approvers"] == "test-owners"


def test_a_relative_approver_role_from_a_resolver(handlers, alice, bob, charlie, dana):
    """A resolver names the approvers from the request itself (here: the payload's owner)."""
    User = type(alice)
    register_approver_resolver(
        "thing-owner",
        users=lambda request: User.objects.filter(username=request.payload.get("owner")),
        requests_for=lambda user: Q(payload__owner=user.username),
    )
    try:
        make_workflow("test.thing", {"approvers": "thing-owner"})
        request = do_submit_request(
            "test.thing", {"size": 2}, actor=Actor.for_user(alice), reason="r"
        )
        # The test kind's cleaned payload has no owner: until one is named, nobody decides.
        assert inbox_for(charlie).count() == 0
        type(request).objects.filter(pk=request.pk).update(payload={"size": 2, "owner": "charlie"})
        request.refresh_from_db()
        assert list(inbox_for(charlie)) == [request] and inbox_for(bob).count() == 0
        assert requests_visible_to(charlie).filter(pk=request.pk).exists()
        assert not requests_visible_to(dana).filter(pk=request.pk).exists()
        with pytest.raises(PermissionDenied):
            do_decide(request, actor=Actor.for_user(bob), approve=True)
        assert (
            do_decide(request, actor=Actor.for_user(charlie), approve=True).state
            == RequestState.APPROVED
        )
    finally:
        unregister_approver_resolver("thing-owner")


@pytest.mark.smoke
def test_visibility_and_selectors(workflow, alice, bob, charlie, admin_user, erin):
    mine = submit(alice)
    other = submit(charlie)
    assert set(requested_by(alice)) == {mine}
    assert set(requests_visible_to(alice)) == {mine}
    assert set(requests_visible_to(charlie)) == {other}
    assert set(requests_visible_to(bob)) == {mine, other}
    assert set(requests_visible_to(admin_user)) == {mine, other}
    do_decide(mine, actor=Actor.for_user(bob), approve=True)
    # Approvers still see decided requests of their workflows; the inbox drops them.
    assert set(requests_visible_to(erin)) == {mine, other}
    assert set(inbox_for(erin)) == {other}
    assert pending_count_for(erin) == 1 and pending_count_for(alice) == 0


def test_inactive_and_removed_approvers_drop_out(workflow, alice, bob):
    request = submit(alice)
    bob.groups.remove(Group.objects.get(name="approver"))
    with pytest.raises(PermissionDenied):
        do_decide(request, actor=Actor.for_user(bob), approve=True)
    assert pending_count_for(bob) == 0
