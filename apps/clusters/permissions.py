"""Who may do what with clusters.

| verb                                        | who                                       |
|---------------------------------------------|-------------------------------------------|
| register, edit, disable, cordon, policy,    | platform admins; the platform itself      |
| probe, rotate credentials                   | (tasks, `manage.py` commands)             |
| see details (credentials never shown)       | platform admins                           |
| see the read-only summary (the nav's entry) | anyone with a platform role               |
| web terminal into a cluster's containers    | only where the cluster's policy has       |
|                                             | `terminal_allowed` (never in production); |
|                                             | the space's permission decides who        |

Each helper takes an Actor (services) or a user (views, templates, the navigation).
"""

from apps.accounts.roles import is_platform_admin, user_roles
from apps.audit.actors import is_system, person_of
from apps.clusters.choices import PRODUCTION_ENVIRONMENTS
from apps.clusters.policy import BUILTIN_DEFAULTS


def can_manage_clusters(who) -> bool:
    """Platform admins, and the server's own tasks and commands (whoever runs them has the shell)."""
    if is_system(who):
        return True
    person = person_of(who)
    return bool(person and person.is_active) and is_platform_admin(person)


def can_view_cluster_details(who) -> bool:
    return is_platform_admin(person_of(who))


def can_view_cluster_summary(who) -> bool:
    return bool(user_roles(person_of(who)))


def cluster_allows_terminal(cluster) -> bool:
    """The cluster policy's `terminal_allowed` flag (never true in production)."""
    if cluster is None or cluster.environment in PRODUCTION_ENVIRONMENTS:
        return False
    policy = getattr(cluster, "policy", None)  # None when the cluster has no policy row
    if policy is None:
        return bool(BUILTIN_DEFAULTS.get(cluster.environment, {}).get("terminal_allowed"))
    return policy.terminal_allowed


__all__ = [
    "can_manage_clusters",
    "can_view_cluster_details",
    "can_view_cluster_summary",
    "cluster_allows_terminal",
]
