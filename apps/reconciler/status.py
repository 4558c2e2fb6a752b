"""Status sync: what the LISTs of a pass saw, written back in bulk for the list pages.

Per app and cluster the replicas (desired, ready, available, updated) of its workloads;
per space and cluster its ResourceQuota's hard and used figures. Rows are read in one
query, compared in memory, and only changed rows are written (one bulk_update and one
bulk_create): a pass over an unchanged cluster writes nothing.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from apps.reconciler.kinds import APP_LABEL, Key
from apps.reconciler.models import ObservedApp, ObservedSpace

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")
APP_FIELDS = ["workload_kind", "desired_replicas", "ready_replicas", "available_replicas",
              "updated_replicas", "ready"]  # fmt: skip


def _workload_figures(obj: dict) -> dict:
    kind, spec, status = obj["kind"], obj.get("spec") or {}, obj.get("status") or {}
    if kind in ("Deployment", "StatefulSet"):
        return {
            "desired_replicas": int(spec.get("replicas", 1) or 0),
            "ready_replicas": int(status.get("readyReplicas") or 0),
            "available_replicas": int(status.get("availableReplicas") or 0),
            "updated_replicas": int(status.get("updatedReplicas") or 0),
        }
    if kind == "Job":
        return {
            "desired_replicas": int(spec.get("completions") or 1),
            "ready_replicas": int(status.get("succeeded") or 0),
            "available_replicas": int(status.get("active") or 0),
            "updated_replicas": 0,
        }
    active = len(status.get("active") or [])
    return {"desired_replicas": 0, "ready_replicas": 0, "available_replicas": active,
            "updated_replicas": 0}  # fmt: skip


def app_figures(observed: dict[Key, dict], app_ids: dict[tuple[str, str], int]) -> dict:
    """{app id: figures} summed over the app's workloads (stable and canary tracks)."""
    out: dict[int, dict] = {}
    kinds: dict[int, str] = {}
    for (kind, namespace, _name), obj in observed.items():
        if kind not in WORKLOAD_KINDS:
            continue
        app = ((obj.get("metadata") or {}).get("labels") or {}).get(APP_LABEL, "")
        app_id = app_ids.get((namespace, app))
        if app_id is None:
            continue
        figures = _workload_figures(obj)
        total = out.setdefault(app_id, defaultdict(int))
        for k, v in figures.items():
            total[k] += v
        kinds[app_id] = kind
    result = {}
    for app_id, total in out.items():
        kind = kinds[app_id]
        if kind == "Job":
            ready = total["ready_replicas"] >= total["desired_replicas"]
        elif kind == "CronJob":
            ready = True
        else:
            ready = total["ready_replicas"] >= total["desired_replicas"]
        result[app_id] = {"workload_kind": kind, **total, "ready": ready}
    return result


def space_figures(observed: dict[Key, dict], space_ids: dict[str, int]) -> dict:
    out = {}
    for (kind, namespace, _name), obj in observed.items():
        if kind != "ResourceQuota" or namespace not in space_ids:
            continue
        status = obj.get("status") or {}
        out[space_ids[namespace]] = {"hard": dict(status.get("hard") or {}),
                                     "used": dict(status.get("used") or {})}  # fmt: skip
    return out


def sync(cluster, apps: dict[int, dict], spaces: dict[int, dict], *, full: bool) -> int:
    """Write the figures that changed; with `full`, drop rows of apps/spaces no longer seen.
    Returns the number of rows written (reads first: nothing changed, no transaction)."""
    now = timezone.now()
    app_rows = ObservedApp.objects.filter(cluster=cluster)
    space_rows = ObservedSpace.objects.filter(cluster=cluster)
    if not full:
        app_rows = app_rows.filter(app_id__in=list(apps))
        space_rows = space_rows.filter(space_id__in=list(spaces))
    existing = {o.app_id: o for o in app_rows}
    changed, new = [], []
    for app_id, figures in apps.items():
        row = existing.get(app_id)
        if row is None:
            new.append(ObservedApp(app_id=app_id, cluster=cluster, changed_at=now, **figures))
        elif any(getattr(row, f) != figures[f] for f in APP_FIELDS):
            for f in APP_FIELDS:
                setattr(row, f, figures[f])
            row.changed_at = now
            changed.append(row)
    gone = [o.pk for app_id, o in existing.items() if app_id not in apps] if full else []
    existing_spaces = {o.space_id: o for o in space_rows}
    changed_s, new_s = [], []
    for space_id, figures in spaces.items():
        row = existing_spaces.get(space_id)
        if row is None:
            new_s.append(
                ObservedSpace(space_id=space_id, cluster=cluster, changed_at=now, **figures)
            )
        elif row.hard != figures["hard"] or row.used != figures["used"]:
            row.hard, row.used, row.changed_at = figures["hard"], figures["used"], now
            changed_s.append(row)
    written = len(changed) + len(new) + len(gone) + len(changed_s) + len(new_s)
    if not written:
        return 0
    with transaction.atomic():
        if changed:
            ObservedApp.objects.bulk_update(changed, [*APP_FIELDS, "changed_at"], batch_size=500)
        if new:
            ObservedApp.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
        if gone:
            ObservedApp.objects.filter(pk__in=gone).delete()
        if changed_s:
            ObservedSpace.objects.bulk_update(changed_s, ["hard", "used", "changed_at"],
                                              batch_size=500)  # fmt: skip
        if new_s:
            ObservedSpace.objects.bulk_create(new_s, batch_size=500, ignore_conflicts=True)
    return written
