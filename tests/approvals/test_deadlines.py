"""Reminders, escalation and expiry with an injected "now"; the beat entry that runs them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.accounts.roles import Role
from apps.approvals.choices import RequestState
from apps.approvals.models import Notification
from apps.approvals.services import do_decide, do_process_deadlines
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from tests.approvals.factories import make_workflow, submit

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def escalating(handlers):
    return make_workflow(
        "test.thing",
        {"approvers": "approver", "deadline": 3 * DAY, "remind_after": DAY,
         "escalate_to": Role.PLATFORM_ADMIN.value},
    )  # fmt: skip


def verbs(user):
    return list(Notification.objects.filter(user=user).values_list("verb", flat=True))


def test_remind_then_escalate_then_expire(
    escalating, handlers, alice, bob, admin_user, django_capture_on_commit_callbacks
):
    request = submit(alice)
    start = request.created_at
    assert request.remind_at == start + DAY and request.deadline_at == start + 3 * DAY
    mail.outbox.clear()

    assert do_process_deadlines(start + DAY - timedelta(seconds=1)) == {
        "reminded": 0, "escalated": 0, "expired": 0, "requeued": 0,
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert do_process_deadlines(start + DAY)["reminded"] == 1
    assert verbs(bob) == ["reminder", "submitted"]
    assert [m.to for m in mail.outbox] == [["bob@example.test"]]
    assert do_process_deadlines(start + 2 * DAY)["reminded"] == 0  # once per step

    escalate_at = start + 3 * DAY
    assert do_process_deadlines(escalate_at)["escalated"] == 1
    request.refresh_from_db()
    assert request.state == RequestState.PENDING
    assert request.escalated_to == "platform-admin"
    assert request.deadline_at == escalate_at + 3 * DAY
    assert verbs(admin_user) == ["escalated"]
    assert AuditEvent.objects.get(action="approval.escalate").actor_type == "system"

    with django_capture_on_commit_callbacks(execute=True):
        counts = do_process_deadlines(escalate_at + 3 * DAY)
    assert counts == {"reminded": 0, "escalated": 0, "expired": 1, "requeued": 0}
    request.refresh_from_db()
    assert request.state == RequestState.EXPIRED and request.decided_at
    assert handlers.rejected[request.pk] == 1
    assert verbs(alice)[0] == "expired"
    assert AuditEvent.objects.filter(action="approval.expire").count() == 1
    assert do_process_deadlines(escalate_at + 30 * DAY)["expired"] == 0


def test_the_escalation_group_may_decide(escalating, alice, bob, admin_user):
    request = submit(alice)
    bob.groups.remove(Group.objects.get(name="approver"))  # nobody left to decide
    do_process_deadlines(request.deadline_at)
    request.refresh_from_db()
    assert (
        do_decide(request, actor=Actor.for_user(admin_user), approve=True).state
        == RequestState.APPROVED
    )


def test_a_decided_request_is_left_alone(
    escalating, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = do_decide(submit(alice), actor=Actor.for_user(bob), approve=True)
    assert request.remind_at is None and request.deadline_at is None
    far = timezone.now() + 30 * DAY
    assert do_process_deadlines(far) == {
        "reminded": 0, "escalated": 0, "expired": 0, "requeued": 0,
    }  # fmt: skip


def test_without_escalation_the_deadline_expires(handlers, alice):
    make_workflow("test.thing", {"approvers": "approver", "deadline": DAY})
    request = submit(alice)
    assert request.remind_at is None
    assert do_process_deadlines(request.deadline_at)["expired"] == 1


def test_each_step_restarts_the_clock(handlers, alice, bob, admin_user):
    make_workflow(
        "test.thing",
        {"approvers": "approver", "deadline": DAY},
        {"approvers": "platform-admin", "deadline": 2 * DAY},
    )
    request = do_decide(submit(alice), actor=Actor.for_user(bob), approve=True)
    assert request.current_step == 1
    assert request.deadline_at == request.step_started_at + 2 * DAY


def test_the_beat_entry_runs_every_minute():
    entry = PeriodicTask.objects.get(task="workers.approvals.process_deadlines")
    assert entry.enabled and entry.interval.every == 1 and entry.interval.period == "minutes"
    assert entry.expire_seconds == 55


def test_the_task_calls_the_service(monkeypatch):
    from workers import approvals as tasks

    monkeypatch.setattr("apps.approvals.services.do_process_deadlines", lambda: {"reminded": 7})
    assert tasks.process_deadlines.apply().get() == {"reminded": 7}


def test_a_lost_handler_task_is_enqueued_again(workflow, handlers, alice, bob, inline_handlers):
    request = do_decide(
        submit(alice), actor=Actor.for_user(bob), approve=True
    )  # on-commit never fires here
    assert inline_handlers == [] and handlers.approved[request.pk] == 0
    soon = request.decided_at + timedelta(minutes=1)
    assert do_process_deadlines(soon)["requeued"] == 0
    later = request.decided_at + timedelta(minutes=6)
    assert do_process_deadlines(later)["requeued"] == 1
    assert handlers.approved[request.pk] == 1
    assert do_process_deadlines(later)["requeued"] == 0  # handled: never again
