"""Reads for the admin page and the API (constant number of queries per page)."""

from django.db.models import OuterRef, Subquery

from apps.clusters.models import Cluster
from apps.reconciler.choices import Scope
from apps.reconciler.models import DriftEvent, ReconcilePass


def cluster_overview() -> list[dict]:
    """Each cluster with its last full pass (one query for clusters, one for the passes)."""
    latest = ReconcilePass.objects.filter(cluster=OuterRef("pk"), scope=Scope.CLUSTER)
    clusters = list(Cluster.objects.annotate(
        last_pass_id=Subquery(latest.order_by("-started_at", "-id").values("pk")[:1])
    ).order_by("name"))  # fmt: skip
    passes = ReconcilePass.objects.in_bulk([c.last_pass_id for c in clusters if c.last_pass_id])
    return [{"cluster": c, "last": passes.get(c.last_pass_id)} for c in clusters]


def recent_passes(*, cluster=None, limit: int = 50):
    rows = ReconcilePass.objects.select_related("cluster")
    if cluster is not None:
        rows = rows.filter(cluster=cluster)
    return rows[:limit]


def drift_history(*, app=None, apps=None, limit: int = 100):
    """Drift events, newest first; of one app, or of the apps in `apps` (a queryset)."""
    rows = DriftEvent.objects.select_related("cluster", "space", "app")
    if app is not None:
        rows = rows.filter(app=app)
    elif apps is not None:
        rows = rows.filter(app__in=apps)
    return rows[:limit]
