"""OIDC sign-in (mozilla-django-oidc) mapping a claim to K2Cloud's platform roles."""

from django.conf import settings
from django.contrib.auth.models import Group
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from apps.accounts.roles import Role


class K2OIDCBackend(OIDCAuthenticationBackend):
    def _sync_roles(self, user, claims) -> None:
        values = claims.get(getattr(settings, "OIDC_ROLE_CLAIM", "groups")) or []
        roles = [r for r in Role.values if r in values]
        user.groups.set(Group.objects.filter(name__in=roles))

    def create_user(self, claims):
        user = super().create_user(claims)
        user.username = claims.get("preferred_username", user.username)
        user.save(update_fields=["username"])
        self._sync_roles(user, claims)
        return user

    def update_user(self, user, claims):
        self._sync_roles(user, claims)
        return user
