"""Who may do what with image registries.

| verb                                                   | who                           |
|--------------------------------------------------------|-------------------------------|
| see registries, policies, previews and run reports     | platform admins               |
| register, edit, delete, run, GC (credentials never shown) | platform admins; the platform |
"""

from apps.clusters.permissions import can_manage_clusters, can_view_cluster_details


def can_view_registries(who) -> bool:
    return can_view_cluster_details(who)


def can_manage_registries(who) -> bool:
    return can_manage_clusters(who)
