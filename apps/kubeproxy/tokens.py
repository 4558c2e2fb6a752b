"""Who is calling the proxy or the k2ctl API: a personal access token (k2p_…) or a k2ctl
session token (k2s_…) made from one. Session services: open (login), refresh, revoke
(logout, or the portal), each audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import TOKEN_PREFIX, PersonalAccessToken, hash_token
from apps.accounts.services import authenticate_token
from apps.audit.actors import Actor
from apps.audit.services import authorize, record
from apps.kubeproxy import cache
from apps.kubeproxy.models import SESSION_PREFIX, CliSession


@dataclass
class Principal:
    user: Any
    actor: Actor
    token: PersonalAccessToken
    session: CliSession | None = None


class Unauthenticated(Exception):
    """The credential is missing, unknown, expired or revoked (the message says which)."""


def _session_expiry(token: PersonalAccessToken):
    until = timezone.now() + timedelta(hours=settings.K2_PROXY_SESSION_HOURS)
    return min(until, token.expires_at) if token.expires_at else until


def authenticate_cached(raw: str) -> Principal:
    """`authenticate` for the proxy's new requests: remembered a few seconds (cache.py)
    while nothing announced an access change and the session and its token are unexpired."""
    raw = (raw or "").strip()
    gen = cache.generation() if raw else -1
    key = ("principal", hash_token(raw))
    hit = cache.get(key, gen)
    now = timezone.now()
    if hit is not None and _unexpired(hit, now):
        return hit
    principal = authenticate(raw)
    cache.put(key, gen, principal)
    return principal


def _unexpired(principal: Principal, now) -> bool:
    token, session = principal.token, principal.session
    if token.expires_at and token.expires_at <= now:
        return False
    return session is None or session.expires_at > now


def authenticate(raw: str) -> Principal:
    """The principal of a bearer secret, or Unauthenticated with the reason in words."""
    raw = (raw or "").strip()
    if not raw:
        raise Unauthenticated(_("No K2Cloud token: run `k2ctl login` first."))
    if raw.startswith(TOKEN_PREFIX):
        token = authenticate_token(raw)
        if token is None:
            raise Unauthenticated(_("The personal access token is invalid, expired or revoked."))
        return Principal(token.user, Actor.for_token(token), token)
    if not raw.startswith(SESSION_PREFIX):
        raise Unauthenticated(_("This is not a token of this K2Cloud installation."))
    session = (
        CliSession.objects.select_related("user", "token")
        .filter(token_hash=hash_token(raw))
        .first()
    )
    if session is None:
        raise Unauthenticated(_("This k2ctl session is unknown here (another installation?): "
                                "run `k2ctl login` again."))  # fmt: skip
    now = timezone.now()
    if session.revoked_at:
        raise Unauthenticated(_("This k2ctl session was revoked: run `k2ctl login` again."))
    if session.expires_at <= now:
        raise Unauthenticated(_("This k2ctl session expired: run `k2ctl login` again."))
    token = session.token
    if token.revoked_at or (token.expires_at and token.expires_at <= now):
        raise Unauthenticated(_("The personal access token of this k2ctl session is no longer "
                                "valid: run `k2ctl login` with a new one."))  # fmt: skip
    if not session.user.is_active:
        raise Unauthenticated(_("Your account was deactivated."))
    if session.last_used_at is None or now - session.last_used_at > timedelta(minutes=1):
        CliSession.objects.filter(pk=session.pk).update(last_used_at=now)
    return Principal(session.user, Actor.for_token(token), token, session)


def still_valid(principal: Principal) -> str:
    """Why the principal's credential no longer holds ("" while it does): open streams ask."""
    user = type(principal.user).objects.filter(pk=principal.user.pk).first()
    if user is None or not user.is_active:
        return _("Your account was deactivated.")
    token = PersonalAccessToken.objects.filter(pk=principal.token.pk).first()
    now = timezone.now()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
        return _("Your personal access token was revoked or expired.")
    if principal.session is not None:
        session = CliSession.objects.filter(pk=principal.session.pk).first()
        if session is None or session.revoked_at:
            return _("Your k2ctl session was revoked.")
        if session.expires_at <= now:
            return _("Your k2ctl session expired.")
    principal.user = user
    return ""


def open_session(token: PersonalAccessToken, *, client: str = "") -> tuple[CliSession, str]:
    """A new session token for `token`'s user (login); the raw secret is returned once."""
    raw = SESSION_PREFIX + secrets.token_urlsafe(32)
    actor = Actor.for_token(token)
    with transaction.atomic():
        session = CliSession.objects.create(
            user=token.user, token=token, token_hash=hash_token(raw),
            prefix=raw[: len(SESSION_PREFIX) + 4], client=client[:200],
            expires_at=_session_expiry(token),
        )  # fmt: skip
        record(actor, "k2ctl.session.open", session,
               changes={"expires_at": {"before": None, "after": session.expires_at}})  # fmt: skip
    return session, raw


def refresh_session(session: CliSession) -> CliSession:
    """Push the expiry out again (never past the personal token's own expiry)."""
    with transaction.atomic():
        before = session.expires_at
        session.expires_at = _session_expiry(session.token)
        session.save(update_fields=["expires_at"])
        record(Actor.for_token(session.token), "k2ctl.session.refresh", session,
               changes={"expires_at": {"before": before, "after": session.expires_at}})  # fmt: skip
    return session


def revoke_session(session: CliSession, *, actor: Actor) -> CliSession:
    """Revoke a session (logout, or the user in the portal); revoking twice records once."""
    authorize(
        actor, "k2ctl.session.revoke", session,
        allowed=lambda: actor.user_id == session.user_id,
        message=_("You may revoke only your own k2ctl sessions."),
    )  # fmt: skip
    with transaction.atomic():
        done = CliSession.objects.filter(pk=session.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        session.refresh_from_db()
        if done:
            record(actor, "k2ctl.session.revoke", session,
                   changes={"revoked_at": {"before": None, "after": session.revoked_at}})  # fmt: skip
    return session
