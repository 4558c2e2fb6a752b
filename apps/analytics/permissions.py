"""Who may read analytics: analysts and platform admins (figures are company-wide)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from apps.accounts.roles import can_view_analytics, is_platform_admin

__all__ = ["CanViewAnalytics", "can_view_analytics", "can_requeue_dead_letters"]


def can_requeue_dead_letters(user) -> bool:
    return is_platform_admin(user)


class CanViewAnalytics(permissions.BasePermission):
    message = _("Analytics are open to analysts and platform admins.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and can_view_analytics(
            request.user
        )
