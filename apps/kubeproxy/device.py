"""The browser-free k2ctl login (like RFC 8628's device authorization grant).

`k2ctl login --url URL` asks for a device login (`start`): it gets a long device code to
poll with and a short user code to show. The person opens the portal page while signed
in, sees which host asked and confirms or denies (`decide`, audited); k2ctl polls
(`poll`) and gets a session token of the person who confirmed. The confirmation makes a
personal access token named after the host (its secret is never shown: it only bounds
the session's refreshes and revokes it with everything it made). Codes are SHA-256 at
rest, short-lived and single-use; the API views and the portal page rate-limit them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import hash_token
from apps.accounts.services import do_create_token
from apps.audit.actors import Actor
from apps.audit.services import authorize, record
from apps.kubeproxy import tokens
from apps.kubeproxy.models import CliSession, DeviceLogin

# No vowels (no words), no look-alikes (0/O, 1/I): easy to read off one screen and type.
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
CODE_LENGTH = 8


class DeviceError(Exception):
    """A poll that gives no session: `code` is RFC 8628's error name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def normalize(user_code: str) -> str:
    """The code as typed (any case, with or without its dash) in its one stored form."""
    return "".join(ch for ch in (user_code or "").upper() if ch.isalnum())


def _pretty(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def start(*, client: str = "", address: str | None = None) -> tuple[DeviceLogin, str, str]:
    """A new device login; returns it with the device code and the user code (shown once)."""
    device_code = secrets.token_urlsafe(32)
    user_code = "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))
    login = DeviceLogin.objects.create(
        device_code_hash=hash_token(device_code), user_code_hash=hash_token(user_code),
        client=(client or "")[:200], address=address or None,
        expires_at=timezone.now() + timedelta(minutes=settings.K2_PROXY_DEVICE_MINUTES),
        interval=max(0, settings.K2_PROXY_DEVICE_INTERVAL),
    )  # fmt: skip
    return login, device_code, _pretty(user_code)


def pending(user_code: str) -> DeviceLogin | None:
    """The login waiting for `user_code` (None when unknown, decided or expired)."""
    code = normalize(user_code)
    if len(code) != CODE_LENGTH:
        return None
    return DeviceLogin.objects.filter(
        user_code_hash=hash_token(code), decided_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def decide(login: DeviceLogin, *, actor: Actor, approve: bool) -> DeviceLogin:
    """Confirm or deny a waiting login as the signed-in person; confirming binds the
    session to them (whoever started it) through a new personal token for that host."""
    authorize(
        actor, "k2ctl.device.confirm", login,
        allowed=lambda: actor.person is not None and actor.person.is_active,
        message=_("Sign in to confirm a k2ctl login."),
    )  # fmt: skip
    user = actor.person
    with transaction.atomic():
        row = DeviceLogin.objects.select_for_update().get(pk=login.pk)
        if row.decided_at is not None or row.expires_at <= timezone.now():
            raise DeviceError("expired_token", _("This code expired or was already used."))
        row.user, row.approved, row.decided_at = user, approve, timezone.now()
        if approve:
            row.token, _raw = do_create_token(
                user, f"k2ctl login from {row.client or row.address or '?'}"[:100],
                expires_days=settings.K2_PROXY_DEVICE_TOKEN_DAYS, actor=actor,
            )  # fmt: skip
        row.save(update_fields=["user", "approved", "decided_at", "token"])
        record(actor, "k2ctl.device.confirm" if approve else "k2ctl.device.deny", row,
               changes={"client": row.client, "address": row.address})  # fmt: skip
    return row


def poll(device_code: str) -> tuple[CliSession, str]:
    """The session of a confirmed login (once), or DeviceError saying why not yet/never."""
    with transaction.atomic():
        outcome = _poll_once(device_code)
    if isinstance(outcome, DeviceError):
        raise outcome  # after the commit: the poll's time and interval are kept
    return outcome


def _poll_once(device_code: str) -> tuple[CliSession, str] | DeviceError:
    now = timezone.now()
    row = (
        DeviceLogin.objects.select_for_update(of=("self",))
        .select_related("token__user")
        .filter(device_code_hash=hash_token(device_code or ""))
        .first()
    )
    if row is None:
        return DeviceError("invalid_grant", _("This device code is unknown here."))
    if row.used_at is not None:
        return DeviceError("invalid_grant", _("This device code was already used."))
    if row.approved is False:
        return DeviceError("access_denied", _("The login was denied in the portal."))
    if row.approved is None and row.expires_at <= now:
        return DeviceError("expired_token", _("The code expired: run `k2ctl login` again."))
    too_soon = row.last_polled_at and now - row.last_polled_at < timedelta(seconds=row.interval)
    row.last_polled_at = now
    if too_soon:
        row.interval += 5  # RFC 8628 section 3.5: every slow_down adds five seconds
        row.save(update_fields=["last_polled_at", "interval"])
        return DeviceError("slow_down", _("Polling too fast: wait the interval."))
    if row.approved is None:
        row.save(update_fields=["last_polled_at"])
        return DeviceError("authorization_pending", _("Waiting for the confirmation."))
    session, raw = tokens.open_session(row.token, client=row.client)
    row.used_at, row.session = now, session
    row.save(update_fields=["last_polled_at", "used_at", "session"])
    return session, raw
