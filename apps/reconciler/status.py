"""Status: what passes and the watcher observed, written back. The ONE module that writes
the status people see.

Per cluster (every pass, `observe`):
- ObservedApp / ObservedSpace figures (replicas of an app's workloads, a space's
  ResourceQuota hard and used), read in one query, compared in memory, only changed rows
  written: a pass over an unchanged cluster writes nothing;
- the placement rows: AppCluster (applied / failed, the error in words, the generation
  applied) and SpaceCluster (ready / failed, the error in words, the spec hash).

Per owner, across its clusters (`settle_apps`, `settle_spaces`, after a pass):
- App.status, status_message and applied_generation: failed (with every cluster's error),
  deploying, running, completed, paused, derived from the placements and the observed
  figures (`app_phase`, pure);
- a provisioning space becomes active (every cluster ready) or failed (the errors);
- a deleting space whose namespaces are gone becomes deleted; a deleting app whose objects
  are gone from every cluster is removed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.choices import Outcome as AuditOutcome
from apps.audit.services import record
from apps.reconciler.choices import Scope
from apps.reconciler.kinds import APP_KINDS, APP_LABEL, SPACE_KINDS, Key
from apps.reconciler.models import ObservedApp, ObservedSpace
from apps.spaces.choices import ClusterStatus, SpaceState
from apps.spaces.exceptions import SpaceConflict
from apps.spaces.manifests import combined_hash
from apps.spaces.models import Space, SpaceCluster
from apps.spaces.services import _transition
from apps.workloads.choices import AppKind, ApplyStatus, AppStatus
from apps.workloads.models import App, AppCluster

log = logging.getLogger(__name__)
ACTOR = Actor.system("workers.reconcile")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob")
APP_FIELDS = ["workload_kind", "desired_replicas", "ready_replicas", "available_replicas",
              "updated_replicas", "failed_replicas", "ready"]  # fmt: skip


def workload_figures(obj: dict) -> dict:
    kind, spec, status = obj["kind"], obj.get("spec") or {}, obj.get("status") or {}
    if kind in ("Deployment", "StatefulSet"):
        generation = (obj.get("metadata") or {}).get("generation")
        seen = status.get("observedGeneration")
        # A spec its controller has not looked at yet: nothing of it is updated so far.
        stale = generation is not None and seen is not None and int(seen) < int(generation)
        return {
            "desired_replicas": int(spec.get("replicas", 1) or 0),
            "ready_replicas": int(status.get("readyReplicas") or 0),
            "available_replicas": int(status.get("availableReplicas") or 0),
            "updated_replicas": 0 if stale else int(status.get("updatedReplicas") or 0),
            "failed_replicas": 0,
        }
    if kind == "Job":
        return {
            "desired_replicas": int(spec.get("completions") or 1),
            "ready_replicas": int(status.get("succeeded") or 0),
            "available_replicas": int(status.get("active") or 0),
            "updated_replicas": 0,
            "failed_replicas": int(status.get("failed") or 0),
        }
    active = len(status.get("active") or [])
    return {"desired_replicas": 0, "ready_replicas": 0, "available_replicas": active,
            "updated_replicas": 0, "failed_replicas": 0}  # fmt: skip


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
        figures = workload_figures(obj)
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


# --- placements: what one pass saw of each owner on its cluster ---------------------------
@dataclass
class Observation:
    """What `observe` found, for the settling of owners across their clusters."""

    rows: int = 0
    app_ids: set[int] = field(default_factory=set)  # apps whose placement was settled
    space_ids: set[int] = field(default_factory=set)  # spaces whose placement was settled
    rolled: set[int] = field(default_factory=set)  # apps whose workload was written now
    cleared: set[int] = field(default_factory=set)  # removing apps with nothing left here
    uncleared: set[int] = field(default_factory=set)  # removing apps with objects left here


def _cluster_error(cluster, errors: list[str]) -> str:
    return _("Cluster %(cluster)s: %(error)s") % {"cluster": cluster.name,
                                                  "error": "; ".join(errors)}  # fmt: skip


def observe(cluster, target, state, observed: dict[Key, dict], listed: set[str], *,
            errors: dict[Key, str], unsettled: set[Key], written: set[Key], pruned: set[Key],
            now) -> Observation:  # fmt: skip
    """Settle each rendered owner's placement row on `cluster` from one pass's outcome.

    An owner is settled only when every kind it has was LISTed and none of its objects is
    backing off; rows are compared first and only changed ones written.
    """
    obs = Observation()
    if target.scope == Scope.COLLECTION:
        return obs  # no owner rows: the log collection page compares it live
    keys: dict[tuple[str, int], list[Key]] = defaultdict(list)
    for key, desired in state.objects.items():
        keys[("app", desired.app_id) if desired.app_id else ("space", desired.space_id)].append(key)
    scope = target.scope
    targeted = scope != Scope.CLUSTER
    wanted = {k.kind for k in target.kind_infos()}
    if scope != Scope.SPACE and all(k.kind in listed for k in APP_KINDS if k.kind in wanted):
        changed = []
        for app_id, row in state.app_rows.items():
            mine = keys[("app", app_id)]
            if any(k in unsettled for k in mine):
                continue
            obs.app_ids.add(app_id)
            if any(k in written and k[0] in WORKLOAD_KINDS for k in mine):
                obs.rolled.add(app_id)
            failed = [errors[k] for k in mine if k in errors]
            if failed:
                want = (ApplyStatus.FAILED, _cluster_error(cluster, failed), row.applied_generation)
            else:
                want = (ApplyStatus.APPLIED, "", state.app_generations[app_id])
            if (row.status, row.error, row.applied_generation) != want:
                if want[0] == ApplyStatus.APPLIED and (
                    row.status != ApplyStatus.APPLIED or row.applied_generation != want[2]
                ):
                    row.applied_at = now
                row.status, row.error, row.applied_generation = want
                changed.append(row)
        if changed:
            AppCluster.objects.bulk_update(changed, ["status", "error", "applied_generation",
                                                     "applied_at"], batch_size=500)  # fmt: skip
            obs.rows += len(changed)
        if state.removing:
            left: dict[tuple[str, str], bool] = {}
            for key, obj in observed.items():
                app = ((obj.get("metadata") or {}).get("labels") or {}).get(APP_LABEL, "")
                owner = (key[1], app)
                if owner in state.removing and key not in pruned:
                    left[owner] = True
            for owner, app_id in state.removing.items():
                (obs.uncleared if left.get(owner) else obs.cleared).add(app_id)
    if scope != Scope.APP and all(k.kind in listed for k in SPACE_KINDS):
        changed_s = []
        for space_id, row in state.space_rows.items():
            mine = keys[("space", space_id)]
            if any(k in unsettled for k in mine):
                continue
            obs.space_ids.add(space_id)
            failed = [errors[k] for k in mine if k in errors]
            ns = observed.get(("Namespace", "", row.space.namespace))
            if ns is not None and (ns.get("metadata") or {}).get("deletionTimestamp"):
                failed.insert(0, _("Namespace %(ns)s on cluster %(cluster)s is still being "
                                   "deleted; retry later.") % {"ns": row.space.namespace,
                                                               "cluster": cluster.name})  # fmt: skip
            if failed:
                want = (ClusterStatus.FAILED, _cluster_error(cluster, failed), row.spec_hash)
            else:
                want = (ClusterStatus.READY, "",
                        combined_hash(state.space_manifests[space_id]))  # fmt: skip
            if (row.status, row.error, row.spec_hash) != want or targeted:
                row.status, row.error, row.spec_hash = want
                row.last_attempt_at = now
                if want[0] == ClusterStatus.READY and row.ready_at is None:
                    row.ready_at = now
                changed_s.append(row)
        if changed_s:
            SpaceCluster.objects.bulk_update(
                changed_s, ["status", "error", "spec_hash", "last_attempt_at", "ready_at"]
            )
            obs.rows += len(changed_s)
    return obs


def unreachable(cluster, target, message: str) -> Observation:
    """A targeted pass could not reach the cluster: the owner's placement there failed."""
    obs = Observation()
    error = _cluster_error(cluster, [message])
    if target.app:
        rows = AppCluster.objects.filter(
            cluster=cluster, app__space__slug=target.namespace, app__name=target.app
        )
        obs.app_ids = set(rows.values_list("app_id", flat=True))
        obs.rows = rows.update(status=ApplyStatus.FAILED, error=error)
    elif target.namespace and target.scope == Scope.SPACE:
        rows = SpaceCluster.objects.filter(cluster=cluster, space__slug=target.namespace).exclude(
            status__in=[ClusterStatus.DELETING, ClusterStatus.DELETED]
        )
        obs.space_ids = set(rows.values_list("space_id", flat=True))
        obs.rows = rows.update(status=ClusterStatus.FAILED, error=error,
                               last_attempt_at=timezone.now())  # fmt: skip
    return obs


# --- apps: one status across clusters --------------------------------------------------------
def app_phase(app, figures: list[dict]) -> str:
    """The status of an app applied everywhere, from the observed figures of its clusters
    (pure). `figures`: one dict of ObservedApp fields per cluster seen."""
    if app.paused:
        return AppStatus.PAUSED
    if app.kind == AppKind.CRONJOB:
        return AppStatus.RUNNING
    total = defaultdict(int)
    for f in figures:
        for k in ("desired_replicas", "ready_replicas", "available_replicas",
                  "updated_replicas", "failed_replicas"):  # fmt: skip
            total[k] += f.get(k, 0)
    desired = total["desired_replicas"]
    if app.kind == AppKind.JOB:
        if total["failed_replicas"] and not total["available_replicas"]:
            return AppStatus.FAILED
        done = total["ready_replicas"]
        return AppStatus.COMPLETED if desired and done >= desired else AppStatus.DEPLOYING
    expected = app.replicas + (app.canary_replicas if app.has_canary else 0)
    if (desired < expected or total["updated_replicas"] < desired
            or total["ready_replicas"] < desired):  # fmt: skip
        return AppStatus.DEPLOYING
    return AppStatus.RUNNING


def settle_apps(app_ids, *, rolled=frozenset()) -> int:
    """Write each app's status from its placements and observed figures; returns how many
    changed. `rolled`: apps whose workload a pass just wrote (a rollout starts: deploying).

    Never overwrites a newer generation's state or a deletion that started meanwhile
    (conditional UPDATEs); an app with a placement not yet applied waits.
    """
    ids = list(app_ids)
    if not ids:
        return 0
    apps = App.objects.filter(pk__in=ids).exclude(status=AppStatus.DELETING).select_related(
        "space", "canary_revision"
    )  # fmt: skip
    placements: dict[int, list] = defaultdict(list)
    for row in AppCluster.objects.filter(app_id__in=ids).select_related("cluster"):
        placements[row.app_id].append(row)
    observed: dict[tuple[int, int], dict] = {
        (o["app_id"], o["cluster_id"]): o
        for o in ObservedApp.objects.filter(app_id__in=ids).values()
    }
    written = 0
    for app in apps:
        rows = placements.get(app.pk) or []
        if not rows:
            continue
        failed = [r.error for r in sorted(rows, key=lambda r: r.cluster.name)
                  if r.status == ApplyStatus.FAILED]  # fmt: skip
        applied = min(r.applied_generation for r in rows)
        if failed:
            status, message = AppStatus.FAILED, "\n".join(failed)
            applied = app.applied_generation
        elif any(r.status != ApplyStatus.APPLIED for r in rows):
            continue  # a cluster not reached yet
        elif app.pk in rolled or applied < app.generation:
            status, message = app_phase(app, []) if app.paused or app.kind == "cronjob" \
                else AppStatus.DEPLOYING, ""  # fmt: skip
        else:
            seen = [observed[(app.pk, r.cluster_id)] for r in rows
                    if (app.pk, r.cluster_id) in observed]  # fmt: skip
            status, message = app_phase(app, seen), ""
        applied = max(applied, app.applied_generation)
        if (app.status, app.status_message, app.applied_generation) == (status, message, applied):
            continue
        with transaction.atomic():
            updated = (
                App.objects.filter(pk=app.pk, generation=app.generation)
                .exclude(status=AppStatus.DELETING)
                .update(status=status, status_message=message, applied_generation=applied)
            )
            if updated and status == AppStatus.FAILED and app.status != AppStatus.FAILED:
                record(ACTOR, "app.apply", app, outcome=AuditOutcome.FAILED, reason=message,
                       space=app.space)  # fmt: skip
        written += updated
    return written


def app_removed(app_id: int) -> bool:
    """A deleting app's objects are gone from every cluster: the row goes (True if it did)."""
    with transaction.atomic():
        deleted, _rows = App.objects.filter(pk=app_id, status=AppStatus.DELETING).delete()
    return bool(deleted)


def app_removal_failed(app_id: int, errors: list[str]) -> None:
    """Some cluster still holds a deleting app's objects: say so on the app, audited."""
    app = App.objects.select_related("space").filter(pk=app_id).first()
    if app is None or not errors:
        return
    message = "\n".join(errors)
    if app.status_message != message:
        App.objects.filter(pk=app_id).update(status_message=message)
        record(ACTOR, "app.delete", app, outcome=AuditOutcome.FAILED, reason=message,
               space=app.space)  # fmt: skip


# --- spaces: provisioning -> active/failed, deleting -> deleted -------------------------------
PROVISION_ACTOR = Actor.system("workers.reconcile.reconcile_space")


def settle_spaces(space_ids) -> None:
    """A provisioning space becomes active when every cluster is ready, failed (with the
    errors in words) when one failed; other states are left as they are (a live space's
    failed cluster shows on its page)."""
    ids = list(space_ids)
    if not ids:
        return
    for space in Space.objects.filter(pk__in=ids, state=SpaceState.PROVISIONING):
        rows = list(space.placements.select_related("cluster").order_by("-is_primary", "pk"))
        if not rows:
            continue
        errors = [r.error for r in rows if r.status == ClusterStatus.FAILED]
        if errors:
            target, message = SpaceState.FAILED, "; ".join(errors)
        elif all(r.status == ClusterStatus.READY for r in rows):
            target = SpaceState.ACTIVE
            message = _("Provisioned on %(clusters)s.") % {
                "clusters": ", ".join(r.cluster.name for r in rows)}  # fmt: skip
        else:
            continue
        try:
            with transaction.atomic():
                _transition(space, target, actor=PROVISION_ACTOR, message=message)
        except SpaceConflict:
            pass  # someone else moved it meanwhile (a concurrent run, a deletion): theirs stands


DELETE_ACTOR = Actor.system("workers.reconcile.reconcile_space")


def namespace_deletion(placement, *, gone: bool, error: str = "") -> None:
    """Where the deletion of a space's namespace on one cluster stands."""
    SpaceCluster.objects.filter(pk=placement.pk).update(
        status=ClusterStatus.DELETED if gone else ClusterStatus.DELETING, error=error,
        last_attempt_at=timezone.now(),
    )  # fmt: skip


def space_deleted(space) -> None:
    """Every namespace of a deleting space is gone: the space is deleted."""
    try:
        with transaction.atomic():
            _transition(space, SpaceState.DELETED, actor=DELETE_ACTOR,
                        message=_("Namespaces deleted."))  # fmt: skip
    except SpaceConflict:
        pass


def space_deletion_failed(space, reason: str) -> None:
    """The namespaces did not go in time: the space fails (and may be deleted again)."""
    if space.state != SpaceState.DELETING:
        return
    try:
        with transaction.atomic():
            _transition(space, SpaceState.FAILED, actor=DELETE_ACTOR, message=reason)
    except SpaceConflict:
        pass
