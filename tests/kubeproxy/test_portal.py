"""k2ctl sessions on the access-tokens page: listed, revocable by their owner only."""

from __future__ import annotations

from apps.accounts.services import do_create_token
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.kubeproxy import tokens


def test_sessions_are_listed_and_revoked_in_the_portal(client, alice, bob):
    token, _raw = do_create_token(alice, "bastion", expires_days=30, actor=Actor.for_user(alice))
    session, raw = tokens.open_session(token, client="bastion-1")
    assert raw.startswith("k2s_") and raw not in session.token_hash  # hashed at rest
    client.force_login(alice)
    page = client.get("/account/k2ctl-sessions/")
    assert session.prefix in page.content.decode() and "bastion-1" in page.content.decode()
    assert "/account/k2ctl-sessions/" in client.get("/account/tokens/").content.decode()

    client.force_login(bob)
    assert client.post(f"/account/k2ctl-sessions/{session.pk}/revoke/").status_code == 404
    client.force_login(alice)
    assert client.post(f"/account/k2ctl-sessions/{session.pk}/revoke/").status_code == 302
    session.refresh_from_db()
    assert session.revoked_at is not None
    assert AuditEvent.objects.filter(action="k2ctl.session.revoke").count() == 1
    assert session.prefix not in client.get("/account/k2ctl-sessions/").content.decode()


def test_a_session_never_outlives_its_personal_token(alice, settings):
    settings.K2_PROXY_SESSION_HOURS = 48
    token, _raw = do_create_token(alice, "short", expires_days=1, actor=Actor.for_user(alice))
    session, raw = tokens.open_session(token)
    assert session.expires_at == token.expires_at
    assert tokens.authenticate(raw).user == alice
