"""The live status page of an app: its pods and events read through the gateway (an
operation of apps/clusters/cluster_ops.py), cached briefly. Read only: nothing here
writes a row.

Per cluster: desired, updated, ready and available replicas; pods with phase, readiness,
restarts, node, IP and age; recent events of the app's objects; the last OOM kill.
A cluster that cannot be read is reported with its error, never as a page error. The
app's phase is App.status, as the reconciler's passes observed and settled it
(apps/reconciler/status.py).
"""

from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from apps.clusters.cluster_ops import read_app_objects
from apps.clusters.gateway import GatewayError
from apps.workloads.choices import AppKind, AppStatus
from apps.workloads.models import App
from apps.workloads.rendering import APP_LABEL, CANARY, REVISION_LABEL, TRACK_LABEL

_WORKLOAD_LISTS = {
    AppKind.SERVICE: ("deployments",),
    AppKind.STATEFUL: ("statefulsets",),
    AppKind.JOB: ("jobs",),
    AppKind.CRONJOB: ("cronjobs", "jobs"),
}
MAX_EVENTS = 30


def cache_seconds() -> float:
    return settings.K2_WORKLOADS_STATUS_CACHE_SECONDS


def _age(ts, now: datetime) -> int | None:
    if ts is None:
        return None
    return max(0, int((now - ts).total_seconds()))


def _iso(ts) -> str | None:
    return ts.isoformat() if ts is not None else None


def _workload_counts(kind: str, objects: dict) -> dict:
    counts = {"desired": 0, "updated": 0, "ready": 0, "available": 0, "succeeded": 0, "failed": 0,
              "active": 0}  # fmt: skip
    for d in objects.get("deployments", []) + objects.get("statefulsets", []):
        status = d.status
        counts["desired"] += d.spec.replicas or 0
        counts["updated"] += (status.updated_replicas or 0) if status else 0
        counts["ready"] += (status.ready_replicas or 0) if status else 0
        available = getattr(status, "available_replicas", None) if status else None
        counts["available"] += (
            available if available is not None else ((status.ready_replicas or 0) if status else 0)
        )
    for j in objects.get("jobs", []):
        status = j.status
        counts["desired"] += (j.spec.completions or 1) if kind == AppKind.JOB else 0
        counts["succeeded"] += (status.succeeded or 0) if status else 0
        counts["failed"] += (status.failed or 0) if status else 0
        counts["active"] += (status.active or 0) if status else 0
    return counts


def _pod_row(pod, cluster_name: str, now: datetime) -> tuple[dict, dict | None]:
    status = pod.status
    statuses = (status.container_statuses or []) if status else []
    ready = bool(statuses) and all(c.ready for c in statuses)
    restarts = sum(c.restart_count or 0 for c in statuses)
    oom = None
    for c in statuses:
        for state in (c.state, c.last_state):
            term = state.terminated if state else None
            if term is not None and term.reason == "OOMKilled":
                at = term.finished_at or term.started_at
                if oom is None or (at and oom["at"] and at.isoformat() > oom["at"]):
                    oom = {"cluster": cluster_name, "pod": pod.metadata.name,
                           "container": c.name, "at": _iso(at)}  # fmt: skip
    labels = pod.metadata.labels or {}
    phase = status.phase if status else "Unknown"
    if pod.metadata.deletion_timestamp:
        phase = "Terminating"
    row = {
        "cluster": cluster_name,
        "name": pod.metadata.name,
        "phase": phase,
        "ready": ready,
        "restarts": restarts,
        "node": pod.spec.node_name or "",
        "ip": (status.pod_ip or "") if status else "",
        "age_seconds": _age(pod.metadata.creation_timestamp, now),
        "created_at": _iso(pod.metadata.creation_timestamp),
        "track": labels.get(TRACK_LABEL, ""),
        "revision": labels.get(REVISION_LABEL, ""),
        "containers": [c.name for c in (pod.spec.containers or [])],
    }
    return row, oom


def _event_time(ev):
    return (
        ev.last_timestamp
        or ev.event_time
        or ev.first_timestamp
        or (ev.metadata.creation_timestamp if ev.metadata else None)
    )


def _read_cluster(app: App, placement, now: datetime) -> dict:
    cluster = placement.cluster
    kinds = _WORKLOAD_LISTS[AppKind(app.kind)]
    row = {
        "cluster": cluster.name,
        "environment": cluster.environment,
        "weight": placement.weight,
        "apply_status": placement.status,
        "apply_error": placement.error,
        "error": "",
    }
    try:
        objects = read_app_objects(cluster, app.space.namespace, f"{APP_LABEL}={app.name}", kinds)
    except GatewayError as exc:
        row.update({"error": exc.message, "desired": 0, "updated": 0, "ready": 0, "available": 0})
        return {"row": row, "pods": [], "events": [], "oom": None}
    row.update(_workload_counts(app.kind, objects))
    row["canary"] = any(
        (d.metadata.labels or {}).get(TRACK_LABEL) == CANARY for d in objects.get("deployments", [])
    )
    pods, ooms = [], []
    for pod in objects["pods"]:
        pod_row, oom = _pod_row(pod, cluster.name, now)
        pods.append(pod_row)
        if oom:
            ooms.append(oom)
    names = {p["name"] for p in pods} | {app.name, f"{app.name}-canary"}
    names |= {d.metadata.name for key in kinds for d in objects.get(key, [])}
    events = []
    for ev in objects["events"]:
        involved = ev.involved_object
        if (
            involved is None
            or involved.name not in names
            and not (involved.name or "").startswith(f"{app.name}-")
        ):
            continue
        at = _event_time(ev)
        events.append({
            "cluster": cluster.name, "type": ev.type or "Normal", "reason": ev.reason or "",
            "message": ev.message or "", "object": f"{involved.kind}/{involved.name}",
            "count": ev.count or 1, "at": _iso(at), "age_seconds": _age(at, now),
        })  # fmt: skip
        if ev.reason == "OOMKilling" or "OOMKilled" in (ev.message or ""):
            ooms.append({"cluster": cluster.name, "pod": involved.name, "container": "",
                         "at": _iso(at)})  # fmt: skip
    oom = max(ooms, key=lambda o: o["at"] or "", default=None)
    return {"row": row, "pods": pods, "events": events, "oom": oom}


def read_status(app: App, *, fresh: bool = False) -> dict:
    """The app's live status across its clusters (cached for a couple of seconds); its
    phase is the status the reconciler settled."""
    key = f"k2:workloads:status:{app.pk}:{app.generation}:{app.status}"
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    now = datetime.now(UTC)
    clusters, pods, events, ooms = [], [], [], []
    for placement in app.placements.select_related("cluster").all():
        part = _read_cluster(app, placement, now)
        clusters.append(part["row"])
        pods += part["pods"]
        events += part["events"]
        if part["oom"]:
            ooms.append(part["oom"])
    events.sort(key=lambda e: e["at"] or "", reverse=True)
    pods.sort(key=lambda p: (p["cluster"], p["track"] != "stable", p["name"]))
    phase = app.status
    summary = {
        k: sum(c.get(k, 0) for c in clusters) for k in ("desired", "updated", "ready", "available")
    }
    status = {
        "phase": phase,
        "phase_label": str(AppStatus(phase).label),
        "message": app.status_message,
        "generation": app.generation,
        "applied_generation": app.applied_generation,
        "summary": summary,
        "clusters": clusters,
        "pods": pods,
        "events": events[:MAX_EVENTS],
        "last_oom": max(ooms, key=lambda o: o["at"] or "", default=None),
        "read_at": now.isoformat(),
    }
    cache.set(key, status, cache_seconds())
    return status
