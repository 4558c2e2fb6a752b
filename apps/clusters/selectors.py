"""Reads of clusters, already restricted to what the user may see."""

from django.db.models import QuerySet

from apps.clusters.models import Cluster, ProbeRecord
from apps.clusters.permissions import can_view_cluster_details, can_view_cluster_summary


def clusters_visible_to(user) -> QuerySet[Cluster]:
    """Admins see every cluster; people with a role see the clusters open for new spaces."""
    if can_view_cluster_details(user):
        return Cluster.objects.select_related("policy").all()
    if can_view_cluster_summary(user):
        return Cluster.objects.select_related("policy").filter(enabled=True, cordoned=False)
    return Cluster.objects.none()


def probe_history(cluster: Cluster, limit: int = 50) -> QuerySet[ProbeRecord]:
    return ProbeRecord.objects.filter(cluster=cluster).order_by("-at", "-id")[:limit]


def spaces_on(cluster: Cluster, limit: int):
    """The live spaces placed on `cluster` (the spaces app's placements), newest first."""
    return (
        cluster.space_placements.exclude(space__state="deleted")
        .select_related("space", "space__owner")
        .order_by("-space__created_at")[:limit]
    )
