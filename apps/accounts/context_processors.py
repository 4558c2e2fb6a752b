"""Navigation of the portal shell: an item shows exactly when its page lets the user in.

Each item names the permission helper its page checks (the same function, from the
app's permissions module), so the menu and the pages cannot disagree.
"""

from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import Role, user_roles
from apps.analytics.permissions import can_view_analytics
from apps.approvals.selectors import badge_count_for
from apps.audit.permissions import can_view_audit
from apps.clusters.permissions import can_view_cluster_summary
from apps.core import mailbox
from apps.ipam.permissions import can_view_ipam
from apps.reconciler.permissions import can_view_reconciler
from apps.registries.permissions import can_view_registries
from apps.terminal.permissions import can_use_terminals


def _signed_in(user) -> bool:
    """Pages open to every signed-in person (they show what that person may see)."""
    return bool(getattr(user, "is_authenticated", False))


def _nav_items() -> list[tuple[str, str, str, Callable[[object], bool]]]:
    """(url name, label, icon, the helper the page checks)."""
    return [
        ("spaces:list", _("Spaces"), "box", _signed_in),
        ("workloads:list", _("Apps"), "apps", _signed_in),
        ("events:center", _("Events"), "activity", _signed_in),
        ("approvals:inbox", _("Approvals"), "checklist", _signed_in),
        ("clusters:list", _("Clusters"), "server-2", can_view_cluster_summary),
        ("ipam:index", _("IPAM"), "network", can_view_ipam),
        ("registries:index", _("Registries"), "packages", can_view_registries),
        ("analytics:dashboard", _("Analytics"), "chart-bar", can_view_analytics),
        ("reconciler:index", _("Reconciler"), "refresh", can_view_reconciler),
        ("audit:list", _("Audit"), "shield-check", can_view_audit),
        ("terminal:sessions", _("Terminals"), "terminal-2", can_use_terminals),
    ]


def _badges(user) -> dict[str, int]:
    """Counts shown beside navigation items: requests waiting for this user's decision and
    unread space notices (expiry reminders), both in the approvals inbox."""
    return {"approvals": badge_count_for(user)}


def navigation_for(user) -> list[dict]:
    badges = _badges(user)
    items = []
    for name, label, icon, allowed in _nav_items():
        if allowed(user):
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
        "k2_demo_mailbox": mailbox.enabled(),
    }
