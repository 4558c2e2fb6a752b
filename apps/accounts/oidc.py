"""OIDC sign-in (mozilla-django-oidc) mapping a claim to K2Cloud's platform roles."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from apps.accounts.roles import Role
from apps.audit.actors import Actor
from apps.audit.services import record


class K2OIDCBackend(OIDCAuthenticationBackend):
    def _sync_roles(self, user, claims) -> None:
        """Make the user's platform roles those the claim names; a change is audited."""
        values = claims.get(getattr(settings, "OIDC_ROLE_CLAIM", "groups")) or []
        roles = sorted(r for r in Role.values if r in values)
        before = sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if before == roles:
            return
        with transaction.atomic():
            user.groups.remove(*Group.objects.filter(name__in=Role.values))
            user.groups.add(*Group.objects.filter(name__in=roles))
            record(
                Actor.system("oidc sign-in"), "user.roles.update", user,
                changes={"roles": {"before": before, "after": roles}},
            )  # fmt: skip
        user.__dict__.pop("_k2_roles", None)

    def create_user(self, claims):
        user = super().create_user(claims)
        user.username = claims.get("preferred_username", user.username)
        user.save(update_fields=["username"])
        self._sync_roles(user, claims)
        return user

    def update_user(self, user, claims):
        self._sync_roles(user, claims)
        return user
