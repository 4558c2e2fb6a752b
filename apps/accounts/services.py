"""Writes of the accounts app: tokens and platform roles. Portal, API and CLI share these."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import TOKEN_PREFIX, PersonalAccessToken, hash_token
from apps.accounts.permissions import can_create_token, can_revoke_token, can_set_roles
from apps.accounts.roles import Role
from apps.audit.actors import Actor
from apps.audit.services import authorize, record

MAX_TOKEN_DAYS = 365


def do_create_token(
    user, name: str, *, expires_days: int | None, actor: Actor
) -> tuple[PersonalAccessToken, str]:
    """Create a token for `user`; return it with the raw secret, which is never stored.

    1. Only the user themself (or a platform admin, or a shell operator running
       `manage.py create_token`, recorded as such) creates tokens for a user.
    2. Validate the name and the lifetime: 1..365 days; none means no expiry where
       K2_TOKEN_ALLOW_NON_EXPIRING allows it, else K2_TOKEN_DEFAULT_EXPIRY_DAYS.
    3. Store the SHA-256 of the secret and its first characters for display.
    """
    authorize(
        actor, "token.create", user,
        allowed=lambda: can_create_token(actor, user),
        message=_("You may create tokens only for yourself."),
    )  # fmt: skip
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the token a name, e.g. the script that uses it.")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("A token name has at most 100 characters.")]})
    if expires_days is not None and not (1 <= expires_days <= MAX_TOKEN_DAYS):
        raise ValidationError(
            {
                "expires_days": [
                    _("Expiry must be between 1 and %(max)d days.") % {"max": MAX_TOKEN_DAYS}
                ]
            }
        )
    if expires_days is None and not settings.K2_TOKEN_ALLOW_NON_EXPIRING:
        expires_days = settings.K2_TOKEN_DEFAULT_EXPIRY_DAYS
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name,
            token_hash=hash_token(raw),
            prefix=raw[: len(TOKEN_PREFIX) + 4],
            expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
        )
        record(
            actor, "token.create", token,
            changes={
                "owner": {"before": None, "after": user.get_username()},
                "name": {"before": None, "after": token.name},
                "expires_at": {"before": None, "after": token.expires_at},
            },
        )  # fmt: skip
    return token, raw


def do_revoke_token(token: PersonalAccessToken, *, actor: Actor) -> PersonalAccessToken:
    """Revoke a token (idempotent: revoking twice keeps the first revocation time)."""
    authorize(
        actor, "token.revoke", token,
        allowed=lambda: can_revoke_token(actor, token),
        message=_("You may revoke only your own tokens."),
    )  # fmt: skip
    with transaction.atomic():
        revoked = PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        token.refresh_from_db()
        if revoked:  # a second revocation changes nothing and records nothing
            record(
                actor, "token.revoke", token,
                changes={"revoked_at": {"before": None, "after": token.revoked_at}},
            )  # fmt: skip
    return token


def authenticate_token(raw: str) -> PersonalAccessToken | None:
    """The usable token for a raw secret, or None; notes last use at most once a minute."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        PersonalAccessToken.objects.usable()
        .select_related("user")
        .filter(token_hash=hash_token(raw), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def do_set_user_roles(user, roles: set[str], *, actor: Actor) -> set[str]:
    """Replace the platform roles of `user`. Only platform admins change roles."""
    authorize(
        actor, "user.roles.update", user,
        allowed=lambda: can_set_roles(actor), message=_("Only platform admins change roles."),
    )  # fmt: skip
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError(
            {"roles": [_("Unknown role: %(r)s.") % {"r": ", ".join(sorted(unknown))}]}
        )
    with transaction.atomic():
        before = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        for role in Role:
            group, _created = Group.objects.get_or_create(name=role.value)
            if role.value in roles:
                user.groups.add(group)
            else:
                user.groups.remove(group)
        user.__dict__.pop("_k2_roles", None)
        after = set(roles)
        if after != before:
            record(
                actor, "user.roles.update", user,
                changes={"roles": {"before": sorted(before), "after": sorted(after)}},
            )  # fmt: skip
    return before
