"""Navigation of the portal shell, decided by the signed-in user's platform roles."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import Role, user_roles

# (url name, label, icon, roles that see it; None = every signed-in user)
NAV_ITEMS = [
    ("spaces:list", _("Spaces"), "box", None),
    ("workloads:list", _("Apps"), "apps", None),
    ("approvals:inbox", _("Approvals"), "checklist", None),
    ("clusters:list", _("Clusters"), "server-2", {Role.PLATFORM_ADMIN}),
    ("analytics:dashboard", _("Analytics"), "chart-bar", {Role.ANALYST, Role.PLATFORM_ADMIN}),
    ("reconciler:index", _("Reconciler"), "refresh", {Role.PLATFORM_ADMIN}),
    ("audit:list", _("Audit"), "shield-check", {Role.PLATFORM_ADMIN}),
]


def _badges(user) -> dict[str, int]:
    """Counts shown beside navigation items: requests waiting for this user's decision."""
    from apps.approvals.selectors import pending_count_for

    return {"approvals": pending_count_for(user)}


def navigation_for(user) -> list[dict]:
    roles = user_roles(user)
    badges = _badges(user)
    items = []
    for name, label, icon, allowed in NAV_ITEMS:
        if allowed is None or roles & {r.value for r in allowed}:
            section = name.split(":")[0]
            items.append(
                {"url": reverse(name), "name": section, "label": label, "icon": icon,
                 "badge": badges.get(section, 0)}
            )  # fmt: skip
    return items


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    section = request.resolver_match.namespace if request.resolver_match else ""
    return {
        "nav_items": navigation_for(user),
        "nav_section": section,
        "k2_roles": [str(Role(r).label) for r in sorted(user_roles(user))],
    }
