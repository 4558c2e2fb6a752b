"""Who may do what with IPAM cleanup.

| verb                                             | who                               |
|--------------------------------------------------|-----------------------------------|
| see pools, blocks, runs and reports              | platform admins                   |
| scan now, release now, edit the cluster's policy | platform admins; the platform     |
"""

from apps.clusters.permissions import can_manage_clusters, can_view_cluster_details


def can_view_ipam(who) -> bool:
    return can_view_cluster_details(who)


def can_manage_ipam(who) -> bool:
    return can_manage_clusters(who)
