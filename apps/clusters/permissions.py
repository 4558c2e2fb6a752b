"""Who may do what with clusters.

| action                                   | who                                         |
|------------------------------------------|---------------------------------------------|
| register, edit, disable, cordon, policy  | platform admins; `manage.py` commands       |
| see details (credentials never shown)    | platform admins                             |
| see the read-only summary                | anyone with a platform role                 |
"""

from apps.accounts.roles import is_platform_admin, user_roles
from apps.audit.actors import Actor
from apps.audit.choices import ActorType


def can_manage_clusters(actor) -> bool:
    """Platform admins, and the server's own commands (whoever runs them has the shell)."""
    if isinstance(actor, Actor):
        if actor.type == ActorType.SYSTEM:
            return True
        if actor.user_id is None:
            return False
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=actor.user_id, is_active=True).first()
        return bool(user) and is_platform_admin(user)
    return is_platform_admin(actor)


def can_view_cluster_details(user) -> bool:
    return is_platform_admin(user)


def can_view_cluster_summary(user) -> bool:
    return bool(user_roles(user))


__all__ = ["can_manage_clusters", "can_view_cluster_details", "can_view_cluster_summary"]
