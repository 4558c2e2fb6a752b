"""Expiry reminders: once per window, re-armed by a renewal, never for production; the
inbox notice and its badge, the email in the recipient's language, one-click renew, and
the expiry shown on the spaces list and in the API."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.accounts.roles import Role
from apps.analytics.models import UsageEvent
from apps.approvals.models import Notification
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.clusters.models import ClusterPolicy
from apps.clusters.policy import clean_reminder_days
from apps.core import tasks
from apps.spaces import reminders
from apps.spaces.models import Space, SpaceReminder
from apps.spaces.reminders import do_send_expiry_reminders, do_send_space_reminder
from apps.spaces.services import do_add_member, do_create_space, do_renew_space
from tests.conftest import api_as, make_user

SYSTEM = Actor.system(reminders.TASK_NAME)


@pytest.fixture
def run_email_tasks(monkeypatch):
    """Run the reminder email task where it would be queued (on commit)."""
    real = tasks.send

    def send(name, args, kwargs, options):
        if name == reminders.EMAIL_TASK:
            reminders.send_reminder_email(*args)
        else:
            real(name, args, kwargs, options)

    monkeypatch.setattr(tasks, "send", send)


def expiring_space(owner, slug, cluster, *, in_days: float, environment="test") -> Space:
    """A space made through the service, then put `in_days` before its expiry."""
    result = do_create_space(
        actor=Actor.for_user(owner), slug=slug, environment=environment,
        cluster=cluster.name, reason="reminder test",
    )  # fmt: skip
    Space.objects.filter(pk=result.space.pk).update(
        state="active", expires_at=timezone.now() + timedelta(days=in_days)
    )
    return Space.objects.get(pk=result.space.pk)


@pytest.fixture
def team(django_user_model, alice, bob):
    """alice owns, bob administers, vic only views."""
    vic = make_user(django_user_model, "vic", Role.EMPLOYEE)
    return {"owner": alice, "admin": bob, "viewer": vic}


def send_all(capture, **kwargs):
    with capture(execute=True):
        return do_send_expiry_reminders(actor=SYSTEM, **kwargs)


def test_each_window_goes_out_once_to_owners_and_admins_even_when_run_twice(
    team, test_cluster, run_email_tasks, django_capture_on_commit_callbacks
):
    space = expiring_space(team["owner"], "soon", test_cluster, in_days=2.5)
    do_add_member(space, team["admin"], "admin", actor=Actor.for_user(team["owner"]))
    do_add_member(space, team["viewer"], "viewer", actor=Actor.for_user(team["owner"]))
    mail.outbox.clear()

    assert send_all(django_capture_on_commit_callbacks)["sent"] == 1
    assert send_all(django_capture_on_commit_callbacks)["sent"] == 0  # a re-run sends nothing
    # Two days and a half before expiry the 3-day window is due (not the 7-day one as well).
    assert list(SpaceReminder.objects.values_list("window_days", "recipients")) == [(3, 2)]
    notices = Notification.objects.filter(space=space, verb="space-expiring")
    assert sorted(n.user.username for n in notices) == ["alice", "bob"]
    assert {n.link for n in notices} == {"/spaces/soon/renew/"}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.test", "bob@example.test"]
    # A duplicate delivery of an email task sends nothing.
    reminder = SpaceReminder.objects.get()
    assert reminders.send_reminder_email(reminder.pk, team["owner"].pk) == 0
    assert len(mail.outbox) == 2
    assert "Space soon expires in 3 days" in mail.outbox[0].subject
    assert "/spaces/soon/renew/" in mail.outbox[0].body
    event = AuditEvent.objects.get(action="space.reminder")
    assert event.actor_name == reminders.TASK_NAME and event.changes["window_days"]["after"] == 3
    assert UsageEvent.objects.filter(feature="space.reminded").count() == 1

    # A day and a half later the 1-day window is due: one more mail each.
    later = timezone.now() + timedelta(days=1.6)
    assert send_all(django_capture_on_commit_callbacks, now=later)["sent"] == 1
    assert send_all(django_capture_on_commit_callbacks, now=later)["sent"] == 0
    assert sorted(SpaceReminder.objects.values_list("window_days", flat=True)) == [1, 3]
    assert len(mail.outbox) == 4


def test_a_renewal_rearms_the_windows_and_production_gets_none(
    team, test_cluster, prod_cluster, run_email_tasks, django_capture_on_commit_callbacks
):
    space = expiring_space(team["owner"], "renewed", test_cluster, in_days=0.5)
    prod = expiring_space(team["owner"], "billing", prod_cluster, in_days=0.5,
                          environment="prod")  # fmt: skip
    assert send_all(django_capture_on_commit_callbacks)["sent"] == 1
    assert not SpaceReminder.objects.filter(space=prod).exists()
    assert not Notification.objects.filter(space=prod).exists()

    do_renew_space(space, actor=Actor.for_user(team["owner"]))  # +7 days: 7.5 days left
    assert send_all(django_capture_on_commit_callbacks)["sent"] == 0
    space.refresh_from_db()
    near = space.expires_at - timedelta(days=6)  # the 7-day window of the new expiry
    assert send_all(django_capture_on_commit_callbacks, now=near)["sent"] == 1
    assert list(SpaceReminder.objects.filter(space=space).values_list("window_days", flat=True)
                .order_by("sent_at")) == [1, 7]  # fmt: skip
    assert [m.to[0] for m in mail.outbox] == ["alice@example.test"] * 2


def test_the_policy_windows_decide_and_are_validated(team, test_cluster, admin_user):
    admin = api_as(admin_user)
    for bad, message in (([0], "Each reminder is between 1 and 365 days before expiry."),
                         (list(range(1, 12)), "At most 10 reminders.")):  # fmt: skip
        response = admin.patch(f"/api/v1/clusters/{test_cluster.name}/policy/",
                               {"reminder_days": bad}, format="json")  # fmt: skip
        assert response.status_code == 400
        assert response.json()["fields"]["reminder_days"] == [message]
    response = admin.patch(f"/api/v1/clusters/{test_cluster.name}/policy/",
                           {"reminder_days": [2, 14, 2]}, format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["reminder_days"] == [14, 2]
    assert ClusterPolicy.objects.get(cluster=test_cluster).reminder_days == [14, 2]

    space = expiring_space(team["owner"], "custom", test_cluster, in_days=10)
    do_send_expiry_reminders(actor=SYSTEM)
    assert list(SpaceReminder.objects.filter(space=space).values_list("window_days", flat=True)
                ) == [14]  # fmt: skip


def test_only_the_platform_sends_reminders(team, test_cluster):
    space = expiring_space(team["owner"], "mine", test_cluster, in_days=1)
    with pytest.raises(PermissionDenied):
        do_send_space_reminder(space, 1, actor=Actor.for_user(team["owner"]))
    assert not SpaceReminder.objects.exists()


def test_the_email_is_in_the_recipients_language(
    team, test_cluster, run_email_tasks, django_capture_on_commit_callbacks, settings
):
    settings.LANGUAGE_CODE = "zh-hans"
    expiring_space(team["owner"], "zh", test_cluster, in_days=6.5)
    send_all(django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert "空间 zh 将在 7 天后过期" in message.subject, message.subject
    assert "续期" in message.body and "/spaces/zh/renew/" in message.body


def test_the_inbox_badge_counts_the_notice_and_mark_read_clears_it(
    client, team, test_cluster, django_capture_on_commit_callbacks
):
    expiring_space(team["owner"], "badge", test_cluster, in_days=0.8)
    send_all(django_capture_on_commit_callbacks)
    client.force_login(team["owner"])
    page = client.get("/approvals/").content.decode()
    assert 'data-testid="nav-badge-approvals" title="Waiting for you">1<' in page
    assert 'data-verb="space-expiring"' in page and 'href="/spaces/badge/renew/"' in page
    assert "Space badge expires on" in page
    client.post("/approvals/notifications/read/")
    page = client.get("/approvals/").content.decode()
    assert 'data-testid="nav-badge-approvals"' not in page
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_renew_link_shows_the_terms_on_get_and_renews_on_post(client, team, test_cluster):
    space = expiring_space(team["owner"], "oneclick", test_cluster, in_days=2)
    client.force_login(team["owner"])
    response = client.get("/spaces/oneclick/renew/")
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="renew-submit"' in page
    # 88 days from this expiry to the 90-day cap hold 12 renewals of 7 days.
    assert 'data-testid="renew-count">0 / 12<' in page
    space.refresh_from_db()
    before = space.expires_at
    assert space.renewals_used == 0
    response = client.post("/spaces/oneclick/renew/", follow=True)
    assert "Renewed until" in response.content.decode()
    space.refresh_from_db()
    assert space.renewals_used == 1 and space.expires_at == before + timedelta(days=7)
    # A viewer sees the terms but no button.
    do_add_member(space, team["viewer"], "viewer", actor=Actor.for_user(team["owner"]))
    client.force_login(team["viewer"])
    page = client.get("/spaces/oneclick/renew/").content.decode()
    assert 'data-testid="renew-not-allowed"' in page and "renew-submit" not in page


def test_list_and_api_show_days_left_and_renewals(client, team, test_cluster):
    expiring_space(team["owner"], "close", test_cluster, in_days=0.5)
    expiring_space(team["owner"], "later", test_cluster, in_days=5)
    client.force_login(team["owner"])
    page = client.get("/spaces/").content.decode()
    assert 'data-days-left="1" data-colour="red"' in page
    assert 'data-days-left="5" data-colour="yellow"' in page
    assert page.count('data-testid="space-row-renew"') == 2
    body = api_as(team["owner"]).get("/api/v1/spaces/close/").json()
    assert body["days_left"] == 1 and body["renewals_allowed"] == 12  # 89.5 days to the cap
    assert REGISTRY.get_sample_value("k2_spaces_expiring_soon") == 2


@pytest.mark.django_db(transaction=True)
def test_two_racing_tasks_send_one_reminder(
    require_postgres, django_user_model, test_cluster, workflows, monkeypatch
):
    monkeypatch.setattr(tasks, "send", lambda name, args, kwargs, options: None)
    owner = make_user(django_user_model, "racer", Role.EMPLOYEE)
    space = expiring_space(owner, "race", test_cluster, in_days=0.5)
    start = threading.Barrier(4)
    results = []

    def remind():
        try:
            start.wait()
            results.append(do_send_space_reminder(space, 1, actor=SYSTEM))
        finally:
            connection.close()

    threads = [threading.Thread(target=remind) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 1
    assert SpaceReminder.objects.count() == 1
    assert Notification.objects.filter(space=space).count() == 1


@pytest.mark.django_db
def test_the_reminders_have_an_hourly_beat_entry_and_a_worker_task():
    from django_celery_beat.models import PeriodicTask

    from k2cloud.celery import app

    entry = PeriodicTask.objects.get(task="workers.spaces.send_expiry_reminders")
    assert entry.enabled and entry.interval.every == 3600 and entry.interval.period == "seconds"
    app.loader.import_default_modules()
    assert {"workers.spaces.send_expiry_reminders", "workers.spaces.send_reminder_email"} <= set(
        app.tasks
    )


def test_the_portal_form_takes_windows_as_text():
    assert clean_reminder_days("3, 7;1, 7") == [7, 3, 1]
    assert clean_reminder_days("") is None  # the installation default
    with pytest.raises(ValueError, match="x is not a whole number of days"):
        clean_reminder_days("7, x")
