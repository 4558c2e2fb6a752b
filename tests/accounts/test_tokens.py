"""Personal access tokens: shown once, stored hashed, expire, revoke; through API, portal and CLI."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import PersonalAccessToken, hash_token
from tests.conftest import api_as
from tests.contract.openapi import ContractAPIClient as APIClient

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def create_via_api(user, **data) -> dict:
    response = api_as(user).post(
        "/api/v1/tokens/", {"name": "deploy script", **data}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.smoke
def test_token_is_shown_once_and_stored_hashed(alice):
    created = create_via_api(alice, expires_days=30)
    raw = created["token"]
    assert raw.startswith("k2p_")
    stored = PersonalAccessToken.objects.get(pk=created["id"])
    assert stored.token_hash == hash_token(raw)
    assert raw not in str(PersonalAccessToken.objects.filter(pk=stored.pk).values().first())
    listed = api_as(alice).get("/api/v1/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["deploy script"]
    assert "token" not in listed[0]


def test_token_authenticates_api_calls_and_notes_last_use(alice):
    raw = create_via_api(alice)["token"]
    response = bearer(raw).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.json()["roles"] == ["employee"]
    assert PersonalAccessToken.objects.get(user=alice).last_used_at is not None


@pytest.mark.parametrize(
    "raw", ["k2p_not-a-real-token", "garbage", ""], ids=["unknown", "malformed", "empty"]
)
def test_bad_token_gets_a_401_json_error(raw):
    response = bearer(raw).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}
    assert response.json()["message"]


def test_expired_token_gets_401(alice):
    created = create_via_api(alice, expires_days=1)
    PersonalAccessToken.objects.filter(pk=created["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = bearer(created["token"]).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {
        "message": "The token is invalid, expired or revoked.",
        "code": "authentication_failed",
        "fields": {},
    }


def test_revoked_token_gets_401_and_revoking_is_idempotent(alice):
    created = create_via_api(alice)
    client = api_as(alice)
    first = client.post(f"/api/v1/tokens/{created['id']}/revoke/").json()
    assert first["state"] == "revoked"
    second = client.post(f"/api/v1/tokens/{created['id']}/revoke/").json()
    assert second["revoked_at"] == first["revoked_at"]
    assert bearer(created["token"]).get("/api/v1/me/").status_code == 401


def test_a_user_cannot_see_or_revoke_someone_elses_token(alice, bob):
    created = create_via_api(alice)
    client = api_as(bob)
    assert client.get(f"/api/v1/tokens/{created['id']}/").status_code == 404
    assert client.post(f"/api/v1/tokens/{created['id']}/revoke/").status_code == 404
    assert PersonalAccessToken.objects.get(pk=created["id"]).revoked_at is None


def test_create_token_command_prints_a_usable_token(alice):
    out = StringIO()
    call_command("create_token", "alice", "--expires-days", "7", stdout=out)
    raw = out.getvalue().strip()
    assert bearer(raw).get("/api/v1/me/").json()["username"] == "alice"
    token = PersonalAccessToken.objects.get(user=alice)
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)


def test_portal_token_page_creates_shows_once_and_revokes(client, alice):
    client.force_login(alice)
    response = client.post("/account/tokens/", {"name": "laptop", "expires_days": 10})
    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.encode() in response.content
    assert bearer(raw).get("/api/v1/me/").status_code == 200

    again = client.get("/account/tokens/")
    assert raw.encode() not in again.content
    assert b"laptop" in again.content

    token = PersonalAccessToken.objects.get(user=alice)
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert bearer(raw).get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("allowed", [False, True])
def test_the_token_form_says_what_an_empty_lifetime_gives(client, alice, settings, allowed):
    settings.K2_TOKEN_ALLOW_NON_EXPIRING = allowed
    settings.K2_TOKEN_DEFAULT_EXPIRY_DAYS = 30
    client.force_login(alice)
    page = client.get("/account/tokens/").content.decode()
    client.post("/account/tokens/", {"name": "empty lifetime", "expires_days": ""})
    token = PersonalAccessToken.objects.get(user=alice, name="empty lifetime")
    if allowed:
        assert "Leave empty for a token that never expires." in page
        assert token.expires_at is None
    else:
        assert "Leave empty for 30 days" in page and "never expire are not allowed" in page
        assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
