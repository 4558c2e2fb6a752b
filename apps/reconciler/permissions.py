"""Who may see the reconciler and ask for a pass: platform admins (and system actors)."""

from apps.accounts.roles import is_platform_admin
from apps.clusters.permissions import can_manage_clusters


def can_view_reconciler(user) -> bool:
    return is_platform_admin(user)


def can_request_reconcile(actor) -> bool:
    return can_manage_clusters(actor)
