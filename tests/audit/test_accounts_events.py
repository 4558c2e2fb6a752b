"""The foundation's own actions are recorded: sign-in and its failure, tokens, roles."""

import pytest

from apps.accounts.roles import Role
from apps.accounts.services import do_create_token, do_set_user_roles
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD, api_as

pytestmark = pytest.mark.django_db


def test_sign_in_and_its_failure_are_recorded_with_the_client(client, alice):
    client.post("/login/", {"username": "alice", "password": "nope"}, REMOTE_ADDR="10.0.0.9")
    client.post("/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")

    failed, signed_in = AuditEvent.objects.filter(action="account.sign_in").order_by("id")
    assert (failed.outcome, failed.actor_type, failed.actor_name) == (
        "denied",
        "anonymous",
        "alice",
    )
    assert failed.ip == "10.0.0.9" and failed.request_id
    assert "nope" not in str(failed.changes) + failed.reason
    assert (signed_in.outcome, signed_in.actor_name, signed_in.target_id) == (
        "succeeded", "alice", str(alice.pk),
    )  # fmt: skip


def test_token_create_and_revoke_through_the_api_are_recorded(alice):
    api = api_as(alice)
    created = api.post(
        "/api/v1/tokens/", {"name": "deploy"}, format="json", HTTP_X_REQUEST_ID="req-token-create-1"
    ).json()
    api.post(f"/api/v1/tokens/{created['id']}/revoke/")
    api.post(f"/api/v1/tokens/{created['id']}/revoke/")  # idempotent: no second event

    create, revoke = AuditEvent.objects.filter(action__startswith="token.").order_by("id")
    assert create.action == "token.create" and create.request_id == "req-token-create-1"
    assert create.changes["name"] == {"before": None, "after": "deploy"}
    assert created["token"] not in str(create.changes)
    assert revoke.action == "token.revoke" and revoke.target_id == str(created["id"])
    assert revoke.changes["revoked_at"]["before"] is None


def test_role_changes_and_refusals_are_recorded(admin_user, alice, charlie):
    do_set_user_roles(alice, {Role.EMPLOYEE, Role.APPROVER}, actor=Actor.for_user(admin_user))
    with pytest.raises(Exception, match="Only platform admins"):
        do_set_user_roles(charlie, {Role.PLATFORM_ADMIN}, actor=Actor.for_user(charlie))

    changed, denied = AuditEvent.objects.filter(action="user.roles.update").order_by("id")
    assert changed.changes == {"roles": {"before": ["employee"], "after": ["approver", "employee"]}}
    assert changed.actor_name == "root" and changed.target_name == "alice"
    assert denied.outcome == "denied" and denied.actor_name == "charlie"


def test_creating_a_token_for_someone_else_is_refused_and_recorded(alice, charlie):
    with pytest.raises(Exception, match="only for yourself"):
        do_create_token(alice, "sneaky", expires_days=None, actor=Actor.for_user(charlie))
    event = AuditEvent.objects.get(action="token.create")
    assert event.outcome == "denied" and event.target_name == "alice"


def test_actions_made_with_a_token_are_attributed_to_that_token(alice):
    from tests.contract.openapi import ContractAPIClient as APIClient

    raw = (
        api_as(alice).post("/api/v1/tokens/", {"name": "ci-script"}, format="json").json()["token"]
    )
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    created = script.post("/api/v1/tokens/", {"name": "made-by-script"}, format="json").json()

    by_session, by_token = AuditEvent.objects.filter(action="token.create").order_by("id")
    assert (by_session.actor_type, by_session.actor_detail) == ("user", "")
    assert by_token.actor_type == "token" and by_token.actor_name == "alice"
    assert by_token.actor_detail.startswith("ci-script (k2p_")
    assert by_token.target_id == str(created["id"])
