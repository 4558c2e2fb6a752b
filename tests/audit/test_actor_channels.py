"""The audit trail records exactly who acted through which door: the person, the channel
(portal, API session, API token, command line, background task) and the API token; a
shell operator creating a token for someone is recorded as the operator, not that user.
Services accept nothing but an Actor."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.accounts.models import PersonalAccessToken
from apps.accounts.services import do_create_token
from apps.audit.actors import Actor
from apps.audit.hashing import HASH_VERSION, event_hash
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.audit.verify import verify_chain
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def _only(action="token.create"):
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


def test_a_portal_click_is_the_portal_channel(client, alice):
    client.force_login(alice)
    response = client.post("/account/tokens/", {"name": "laptop", "expires_days": 30})
    assert response.status_code == 200
    event = _only()
    assert (event.actor_type, event.actor_name, event.channel) == ("user", "alice", "portal")
    assert event.actor_user_id == alice.pk and event.actor_token_id is None


def test_an_api_call_with_the_session_is_the_api_channel(alice):
    response = api_as(alice).post("/api/v1/tokens/", {"name": "ci"}, format="json")
    assert response.status_code == 201
    event = _only()
    assert (event.actor_type, event.channel, event.actor_token_id) == ("user", "api", None)


def test_an_api_call_with_a_token_records_the_channel_and_the_token(client, alice, admin_user):
    token, raw = do_create_token(alice, "bastion", expires_days=None, actor=Actor.for_user(alice))
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = script.post("/api/v1/tokens/", {"name": "made-by-script"}, format="json")
    assert response.status_code == 201
    event = _only()
    assert (event.actor_type, event.actor_name, event.channel) == ("token", "alice", "token")
    assert event.actor_user_id == alice.pk and event.actor_token_id == token.pk
    assert event.actor_detail == f"bastion ({token.prefix}…)"
    # The API and the portal show it.
    admin = api_as(admin_user)
    shown = admin.get(f"/api/v1/audit/events/{event.pk}/").json()
    assert (shown["channel"], shown["actor_token_id"]) == ("token", token.pk)
    client.force_login(admin_user)
    page = client.get(f"/audit/{event.pk}/").content.decode()
    assert "API token" in page and f"#{token.pk}" in page


def test_create_token_from_the_shell_records_the_operator_not_the_user(alice, monkeypatch):
    monkeypatch.setenv("SUDO_USER", "ops-jane")
    out = io.StringIO()
    call_command("create_token", "alice", "--name", "bastion", stdout=out)
    token = PersonalAccessToken.objects.get(name="bastion")
    assert token.user == alice and out.getvalue().strip().startswith("k2p_")
    event = _only()
    assert (event.actor_type, event.actor_name, event.channel) == (
        "system", "manage.py create_token", "cli",
    )  # fmt: skip
    assert event.actor_user_id is None, "the user did not act; the operator did"
    assert "operator ops-jane" in event.actor_detail and "for alice" in event.actor_detail
    assert event.changes["owner"]["after"] == "alice"


def test_a_task_is_the_task_channel():
    event = record(Actor.system("workers.tests.sweep"), "test.swept")
    assert (event.actor_type, event.channel, event.actor_user_id) == ("system", "task", None)


def test_services_refuse_a_bare_user(alice):
    with pytest.raises(TypeError, match="Actor"):
        do_create_token(alice, "x", expires_days=None, actor=alice)
    assert not PersonalAccessToken.objects.exists()


def test_events_of_both_hash_versions_verify_and_the_new_fields_are_covered(alice):
    """Events written before the channel existed keep version 1 and still verify."""
    from django.utils import timezone

    from apps.audit.services import seal_chain

    old = AuditEvent(
        created_at=timezone.now(), actor_type="user", actor_user_id=alice.pk,
        actor_name="alice", action="test.before", outcome="succeeded", hash_version=1,
    )  # fmt: skip
    old.save(force_insert=True)
    seal_chain()  # linked with the version 1 fields it was written with
    token, _raw = do_create_token(alice, "ci", expires_days=None, actor=Actor.for_user(alice))
    new = record(Actor.for_token(token), "test.after")
    assert new.hash_version == HASH_VERSION == 2 and new.prev_hash == _only("token.create").hash
    assert verify_chain().ok and verify_chain().checked == 3
    # Editing the channel, the token or the version would not go unnoticed.
    for field, value in (("channel", "portal"), ("actor_token_id", None), ("hash_version", 1)):
        edited = AuditEvent.objects.get(pk=new.pk)
        setattr(edited, field, value)
        assert event_hash(edited) != new.hash, field


def test_actors_built_at_each_edge_name_their_person(alice):
    """A websocket scope and a management command build their Actor the same way."""
    from_scope = Actor.from_request({"user": alice})
    assert (from_scope.channel, from_scope.person, from_scope.is_system) == ("portal", alice, False)
    shell = Actor.cli("manage.py register_cluster")
    assert (shell.channel, shell.person, shell.is_system) == ("cli", None, True)
    assert Actor.for_user(alice) == Actor("user", alice.pk, "alice", "", "portal"), (
        "equality ignores the cached user"
    )
