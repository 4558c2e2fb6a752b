"""Recording: inside the service transaction, denials that survive, the one-line helper."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.accounts.models import PersonalAccessToken
from apps.accounts.services import do_create_token, do_revoke_token
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.audit.services import audited, record
from apps.core.request_context import ClientInfo, set_client, set_request_id

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.mark.smoke
def test_recording_inside_a_transaction_that_rolls_back_leaves_no_event(alice):
    with pytest.raises(Boom), transaction.atomic():
        record(Actor.for_user(alice), "test.rolled_back", alice)
        raise Boom
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()


@pytest.mark.smoke
def test_a_denied_attempt_is_recorded_although_the_change_is_refused(alice, charlie):
    token, _raw = do_create_token(alice, "deploy", expires_days=30, actor=Actor.for_user(alice))

    with pytest.raises(PermissionDenied, match="only your own tokens"):
        do_revoke_token(token, actor=Actor.for_user(charlie))

    token.refresh_from_db()
    assert token.revoked_at is None
    denied = AuditEvent.objects.get(action="token.revoke")
    assert denied.outcome == "denied"
    assert denied.actor_name == "charlie" and denied.actor_type == "user"
    assert denied.target_type == "accounts.personalaccesstoken"
    assert denied.target_id == str(token.pk)
    assert denied.reason == "You may revoke only your own tokens."
    assert denied.changes == {}


def test_audited_records_success_with_the_changes_in_the_same_transaction(alice):
    with audited(Actor.for_user(alice), "test.rename", ("tests.thing", 7, "old")) as event:
        event.changes = {"name": {"before": "old", "after": "new"}}
        event.target = ("tests.thing", 7, "new")
    stored = AuditEvent.objects.get(action="test.rename")
    assert stored.outcome == "succeeded" and stored.pk == event.event.pk
    assert (stored.target_type, stored.target_id, stored.target_name) == ("tests.thing", "7", "new")
    assert stored.changes == {"name": {"before": "old", "after": "new"}}


def test_audited_denial_survives_and_the_body_never_runs(charlie):
    ran = []
    with (
        pytest.raises(PermissionDenied, match="Not yours"),
        audited(
            Actor.for_user(charlie), "test.guarded", allowed=lambda: False, message="Not yours."
        ),
    ):
        ran.append(True)
    assert ran == []
    event = AuditEvent.objects.get(action="test.guarded")
    assert event.outcome == "denied" and event.reason == "Not yours."


@pytest.mark.django_db(transaction=True)
def test_audited_body_failure_rolls_back_and_records_a_failure(alice):
    with (
        pytest.raises(ValidationError),
        audited(Actor.for_user(alice), "test.create_token") as event,
    ):
        do_create_token(alice, "made inside", expires_days=None, actor=Actor.for_user(alice))
        event.changes = {"name": {"before": None, "after": "x"}}
        raise ValidationError("quota exceeded")
    assert not PersonalAccessToken.objects.exists()
    assert not AuditEvent.objects.filter(action="token.create").exists()
    failed = AuditEvent.objects.get(action="test.create_token")
    assert failed.outcome == "failed" and "quota exceeded" in failed.reason


def test_request_context_and_actors_are_captured(alice):
    token, _raw = do_create_token(alice, "ci", expires_days=None, actor=Actor.for_user(alice))
    set_request_id("req-audit-0001")
    set_client(ClientInfo(ip="10.1.2.3", user_agent="k2ctl/1.0"))
    try:
        by_token = record(Actor.for_token(token), "test.by_token")
        by_task = record(
            Actor.system("workers.reconcile"), "test.by_task", space=("team-a", "Team A")
        )
    finally:
        set_request_id(None)
        set_client(ClientInfo())
    assert (by_token.request_id, by_token.ip, by_token.user_agent) == (
        "req-audit-0001", "10.1.2.3", "k2ctl/1.0",
    )  # fmt: skip
    assert by_token.actor_type == "token" and by_token.actor_name == "alice"
    assert "ci" in by_token.actor_detail and token.prefix in by_token.actor_detail
    assert by_task.actor_type == "system" and by_task.actor_name == "workers.reconcile"
    assert (by_task.space_id, by_task.space_name) == ("team-a", "Team A")


def test_an_api_request_made_with_a_token_is_attributed_to_the_token(alice):
    from types import SimpleNamespace

    token, _raw = do_create_token(alice, "bastion", expires_days=None, actor=Actor.for_user(alice))
    actor = Actor.from_request(SimpleNamespace(user=alice, auth=token))
    assert (actor.type, actor.name, actor.detail) == (
        "token",
        "alice",
        f"bastion ({token.prefix}…)",
    )
    assert Actor.from_request(SimpleNamespace(user=alice, auth=None)).type == "user"
