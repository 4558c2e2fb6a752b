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


def log_collection(cluster) -> dict:
    """The log collection K2Cloud wants on `cluster` and how the cluster's copy compares
    (read back through the gateway: one LIST per kind, nothing written).

    {"logs": ClusterLogs | None, "yaml": generated manifests, "rows": [{kind, namespace,
    name, state: same|differs|missing|unknown, detail}], "extra": keys to be pruned,
    "error": why the cluster could not be read}.
    """
    from apps.clusters.gateway import GatewayError
    from apps.reconciler import kinds, planner
    from apps.reconciler.desired import cluster_logs
    from apps.reconciler.engine import collection_target
    from apps.workloads.rendering import to_yaml
    from apps.workloads.rendering.collection import render_collection

    logs = cluster_logs(cluster)
    manifests = render_collection(logs) if logs is not None else []
    target = collection_target()
    observed: dict = {}
    error = ""
    try:
        for info in target.kind_infos():
            label, fields = target.selectors(info)
            items, _rv = kinds.list_objects(cluster, info, label_selector=label,
                                            field_selector=fields)  # fmt: skip
            observed.update({kinds.key_of(item): item for item in items})
    except GatewayError as exc:
        error = exc.message
    rows = []
    for manifest in manifests:
        key = kinds.key_of(manifest)
        if error:
            state, detail = "unknown", ""
        else:
            reason, detail = planner.compare(manifest, observed.get(key))
            state = {"": "same", planner.MISSING: "missing"}.get(reason, "differs")
        rows.append({"kind": key[0], "namespace": key[1], "name": key[2], "state": state,
                     "detail": detail})  # fmt: skip
    wanted = {kinds.key_of(m) for m in manifests}
    return {"logs": logs, "yaml": to_yaml(manifests) if manifests else "", "rows": rows,
            "extra": sorted(k for k in observed if k not in wanted), "error": error,
            "matches": not error and all(r["state"] == "same" for r in rows)
            and not (set(observed) - wanted)}  # fmt: skip
