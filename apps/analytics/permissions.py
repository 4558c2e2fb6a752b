"""Who may do what with analytics (the figures are company-wide).

| verb                          | who                                       |
|-------------------------------|-------------------------------------------|
| view dashboards and the API   | analysts, platform admins                 |
| re-send dead letters          | platform admins                           |
| exclude / include a person    | that person, platform admins              |

Each helper takes an Actor (services) or a user (views, templates, the navigation).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from apps.accounts.roles import Role, has_role, is_platform_admin
from apps.audit.actors import is_system, person_of


def can_view_analytics(who) -> bool:
    return has_role(person_of(who), Role.ANALYST, Role.PLATFORM_ADMIN)


def can_requeue_dead_letters(who) -> bool:
    return is_system(who) or is_platform_admin(person_of(who))


def can_change_analytics_consent(who, user) -> bool:
    """A person for themself, or a platform admin for anyone."""
    person = person_of(who)
    return is_system(who) or bool(person and (person.pk == user.pk or is_platform_admin(person)))


class CanViewAnalytics(permissions.BasePermission):
    message = _("Analytics are open to analysts and platform admins.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and can_view_analytics(
            request.user
        )
