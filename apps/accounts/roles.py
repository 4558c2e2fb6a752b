"""Platform roles: Django groups that decide what a person sees and may do portal-wide.

Space-level roles (owner, admin, developer, viewer) are a separate, per-object matter
handled by apps/spaces; these are the company-wide roles of ARCHITECTURE.md.
"""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    APPROVER = "approver", _("Approver")
    PLATFORM_ADMIN = "platform-admin", _("Platform admin")
    ANALYST = "analyst", _("Analyst")


ROLE_DESCRIPTIONS = {
    Role.EMPLOYEE: _("Creates test spaces, deploys and clones apps, opens terminals in test."),
    Role.APPROVER: _("Works the inbox of production spaces, quota raises and renewals."),
    Role.PLATFORM_ADMIN: _(
        "Registers clusters, sets policies, watches maintenance jobs and audit."
    ),
    Role.ANALYST: _("Reads usage statistics and approval lead times."),
}


def ensure_role_groups() -> None:
    for role in Role:
        Group.objects.get_or_create(name=role.value)


def user_roles(user) -> frozenset[str]:
    """The platform roles of `user`, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_k2_roles", None)
    if cached is None:
        names = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if user.is_superuser:
            names.add(Role.PLATFORM_ADMIN)
        cached = frozenset(names)
        user._k2_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def is_platform_admin(user) -> bool:
    return has_role(user, Role.PLATFORM_ADMIN)
