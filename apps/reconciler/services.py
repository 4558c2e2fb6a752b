"""Every write of the reconciler: passes (operation rows) and the "reconcile now" request.

run_pass(cluster_id, trigger=..., wait=0)    a full pass under the cluster's lock
run_target(cluster, Target(ns, app), ...)    one space or app on one cluster (watch)
reconcile_app(app_id) / reconcile_space(id)  the targeted entry points the services' changes
                                             reach on commit (apps/reconciler/hooks.py)
do_request_reconcile(cluster, actor=...)     permission → audit → on_commit(task)
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.choices import Outcome as AuditOutcome
from apps.audit.services import authorize, record
from apps.clusters import cluster_ops
from apps.clusters.choices import Health
from apps.clusters.gateway import GatewayError
from apps.clusters.models import Cluster
from apps.core.tasks import enqueue_on_commit
from apps.reconciler import follow as follow_ups
from apps.reconciler import metrics
from apps.reconciler import status as status_sync
from apps.reconciler.choices import PassStatus, Scope, Trigger
from apps.reconciler.engine import (
    ClusterUnavailable,
    Outcome,
    Target,
    collection_target,
    reconcile,
)
from apps.reconciler.kinds import KINDS_OF_APP, WORKLOAD_OF_APP
from apps.reconciler.locks import ClusterLock, owner_name
from apps.reconciler.models import ReconcilePass
from apps.reconciler.permissions import can_request_reconcile
from apps.spaces.choices import SpaceState
from apps.spaces.models import Space
from apps.workloads.choices import AppStatus
from apps.workloads.models import App, AppCluster

log = logging.getLogger(__name__)
ACTOR = Actor.system("workers.reconcile")
BLOCKED_REASONS = {
    "desired": _("the desired state could not be read completely"),
    "list": _("a LIST of the cluster failed"),
}


def _blocked_message(reason: str, share: float) -> str:
    if reason == "share":
        return _("Pruning stopped: it would have deleted more than %(pct)d%% of the cluster's "
                 "managed objects.") % {"pct": round(share * 100)}  # fmt: skip
    return _("Pruning stopped: %(why)s.") % {"why": BLOCKED_REASONS.get(reason, reason)}


def _finish(row: ReconcilePass, outcome: Outcome | None, started: float, *,
            error: str = "", status: str | None = None) -> ReconcilePass:  # fmt: skip
    """Write the pass's figures and status; alert when a guard stopped pruning."""
    row.finished_at = timezone.now()
    row.duration_ms = int((time.monotonic() - started) * 1000)
    errors = [error] if error else []
    if outcome is not None:
        for f in ("checked", "applied", "pruned", "failed", "deferred", "drifted"):
            setattr(row, f, getattr(outcome, f))
        row.api_calls = outcome.calls.as_dict()
        row.failures = outcome.failures
        errors += outcome.errors
        if outcome.prune_blocked:
            row.prune_blocked = True
            share = settings.K2_RECONCILE_MAX_PRUNE_SHARE
            errors.insert(0, _blocked_message(outcome.prune_blocked, share))
    row.error = "\n".join(errors)[:10000]
    if status is None:
        if outcome is not None and outcome.errors and outcome.checked == 0:
            status = PassStatus.FAILED  # nothing could be compared at all
        elif errors or (outcome is not None and outcome.failed):
            status = PassStatus.PARTIAL
        else:
            status = PassStatus.SUCCEEDED
    row.status = status
    row.save()
    metrics.PASSES.labels(row.cluster.name, row.scope, status).inc()
    metrics.PASS_SECONDS.labels(row.cluster.name, row.scope).observe(row.duration_ms / 1000)
    if row.scope == Scope.CLUSTER and status != PassStatus.SKIPPED:
        metrics.LAST_PASS.labels(row.cluster.name).set(time.time())
    if row.prune_blocked:
        # The alert: an error in the log, a failed audit event, a metric (incremented by
        # the engine) and the pass row the admin page shows in red.
        log.error("reconcile of %s: %s", row.cluster.name, row.error.splitlines()[0])
        record(ACTOR, "reconcile.prune.blocked", row.cluster, outcome=AuditOutcome.FAILED,
               reason=row.error[:2000], cluster=row.cluster)  # fmt: skip
    return row


def run_pass(cluster_id: int, *, trigger: str = Trigger.SCHEDULE,
             wait: float = 0) -> ReconcilePass | None:  # fmt: skip
    """A full pass over one cluster; None when the cluster is gone or disabled, or another
    pass holds the cluster and `wait` seconds passed without it letting go.

    1. Take the cluster's lock (skip, or wait up to `wait` seconds).
    2. Open the pass row (status running) so the admin page shows it at once.
    3. Skip an unreachable cluster (marked on the row); else reconcile everything.
    4. Close the row with figures, errors and status.
    """
    cluster = Cluster.objects.select_related("policy").filter(pk=cluster_id).first()
    if cluster is None or not cluster.enabled:
        return None
    lock = ClusterLock(cluster.pk)
    if not lock.acquire(wait=wait):
        metrics.SKIPPED.labels(cluster.name).inc()
        return None
    started = time.monotonic()
    try:
        row = ReconcilePass.objects.create(
            cluster=cluster, scope=Scope.CLUSTER, trigger=trigger, status=PassStatus.RUNNING,
            worker=lock.owner, started_at=timezone.now(),
        )  # fmt: skip
        if cluster.health == Health.UNREACHABLE:
            return _finish(row, None, started, status=PassStatus.SKIPPED,
                           error=_("Cluster %(name)s is unreachable; skipped until a probe "
                                   "succeeds.") % {"name": cluster.name})  # fmt: skip
        try:
            outcome = reconcile(cluster, Target(), trigger=trigger)
            _settle(outcome)
        except ClusterUnavailable as exc:
            return _finish(row, None, started, status=PassStatus.SKIPPED,
                           error=_("Cluster unreachable: %(error)s") % {"error": exc})  # fmt: skip
        except Exception as exc:
            log.exception("reconcile pass of %s", cluster.name)
            return _finish(row, None, started, status=PassStatus.FAILED,
                           error=f"{exc.__class__.__name__}: {exc}")  # fmt: skip
        return _finish(row, outcome, started)
    finally:
        lock.release()
        _forget_old_passes(cluster)


def _forget_old_passes(cluster) -> None:
    """Pass rows are kept K2_RECONCILE_KEEP_DAYS (7); drift history stays."""
    days = settings.K2_RECONCILE_KEEP_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    ReconcilePass.objects.filter(cluster=cluster, started_at__lt=cutoff).delete()


def _settle(outcome: Outcome) -> None:
    """Owners' status across their clusters, from what the pass observed."""
    obs = outcome.observation
    if obs is None:
        return
    status_sync.settle_apps(obs.app_ids, rolled=obs.rolled)
    status_sync.settle_spaces(obs.space_ids)


def run_target(cluster, target: Target, *, trigger: str = Trigger.CHANGE,
               detected_at: datetime | None = None, wait: float = 10,
               quiet: bool = False) -> Outcome | None:  # fmt: skip
    """Reconcile one space's or app's objects on one cluster (no cluster lock: a full pass
    and a targeted one converge on the same objects; one targeted run per target at a
    time), then settle the status of what it observed. A pass row is written when
    something was applied, pruned or failed, or when a person or a change asked for it
    (not for the watcher's or a follow-up's quiet checks)."""
    name = f"target:{target.label}"
    lock = ClusterLock(cluster.pk, name=name)
    if not lock.acquire(wait=wait):
        return None
    started = time.monotonic()
    now = timezone.now()
    try:
        try:
            outcome = reconcile(cluster, target, trigger=trigger, detected_at=detected_at)
        except ClusterUnavailable as exc:
            outcome = Outcome(errors=[str(exc)])
            outcome.observation = status_sync.unreachable(cluster, target, str(exc))
        obs = outcome.observation
        if obs is not None and outcome.errors and not (obs.app_ids or obs.space_ids
                                                       or obs.cleared or obs.uncleared):  # fmt: skip
            # The target's objects could not be listed (a LIST failed): say so on it.
            outcome.observation = status_sync.unreachable(cluster, target,
                                                          "; ".join(outcome.errors))  # fmt: skip
        _settle(outcome)
        if detected_at is not None:
            for _key in outcome.repaired:
                metrics.REPAIR_SECONDS.labels(cluster.name).observe(
                    (timezone.now() - detected_at).total_seconds()
                )
        busy = outcome.applied or outcome.pruned or outcome.failed or outcome.errors
        if busy or not (quiet or trigger == Trigger.WATCH):
            row = ReconcilePass(
                cluster=cluster, scope=target.scope, target=target.label, trigger=trigger,
                worker=owner_name(), started_at=now,
            )  # fmt: skip
            _finish(row, outcome, started)
        return outcome
    finally:
        lock.release()


def _reconcile_collection(cluster, trigger: str) -> None:
    """The log collection of a cluster whose apps or spaces changed: an app's inputs live in
    the cluster's one `k2-filebeat-inputs` ConfigMap, not among the app's objects. Skipped
    where the environment collects nothing (turning that off queues full passes)."""
    from apps.clusters.models import EnvironmentPolicy

    wanted = EnvironmentPolicy.objects.filter(environment=cluster.environment).exclude(
        log_output={}
    )
    if wanted.exists():
        run_target(cluster, collection_target(), trigger=trigger, quiet=True)


def _app_clusters(app) -> list:
    placed = [p.cluster for p in AppCluster.objects.filter(app=app).select_related("cluster")]
    others = [sc.cluster for sc in app.space.placements.select_related("cluster")]
    seen, out = set(), []
    for cluster in placed + others:
        if cluster.pk not in seen and cluster.enabled:
            seen.add(cluster.pk)
            out.append(cluster)
    return out


def _follow_delay(follow: int) -> float | None:
    """Seconds until the next look at a change still under way; None: stop following."""
    if follow >= settings.K2_RECONCILE_FOLLOW_ATTEMPTS:
        return None
    return min(5.0, 2.0**follow)


def reconcile_app(app_id: int, *, trigger: str = Trigger.CHANGE, follow: int = 0) -> dict | None:
    """A targeted reconcile of one app on every cluster of its space (it may have left
    one); None when the app is gone.

    1. Per cluster: LIST the app's objects, apply what differs, prune what is no longer
       rendered (all of it for an app being deleted), settle its placement's status.
    2. A deleting app whose objects are gone everywhere is removed.
    3. Returns {cluster name: figures, "again_in": seconds until a follow-up look while
       the change is under way (a rollout not yet ready, objects still to delete) or None}
       (cluster names are DNS-1123 labels: never "again_in").
    """
    app = App.objects.select_related("space").filter(pk=app_id).first()
    if app is None:
        return None
    out: dict = {"again_in": None}
    cleared, errors = True, []
    for cluster in _app_clusters(app):
        only = KINDS_OF_APP.get(app.kind, ())
        if follow and app.status != AppStatus.DELETING and app.kind in WORKLOAD_OF_APP:
            # A follow-up look at a rollout: its workload's status is all it needs to see.
            only = (WORKLOAD_OF_APP[app.kind],)
        target = Target(app.space.namespace, app.name, only)
        outcome = run_target(cluster, target, trigger=trigger, quiet=follow > 0)
        if outcome is None:
            cleared = False
            continue
        obs = outcome.observation
        if obs is None or app.pk in obs.uncleared or app.pk not in obs.cleared:
            cleared = False
            errors += [_("Cluster %(cluster)s: %(error)s") % {"cluster": cluster.name, "error": e}
                       for e in outcome.errors + [f["error"] for f in outcome.failures]]  # fmt: skip
        out[cluster.name] = {"applied": outcome.applied, "pruned": outcome.pruned,
                             "failed": outcome.failed}  # fmt: skip
        if not follow:
            _reconcile_collection(cluster, trigger)
    app.refresh_from_db(fields=["status"])
    if app.status == AppStatus.DELETING:
        if cleared and status_sync.app_removed(app.pk):
            return out
        status_sync.app_removal_failed(app.pk, errors)
    elif app.status not in (AppStatus.DEPLOYING, AppStatus.PENDING):
        return out
    out["again_in"] = _follow_delay(follow)
    if out["again_in"] is not None:
        follow_ups.promise(app.pk, out["again_in"])
    return out


def reconcile_space(space_id: int, *, trigger: str = Trigger.CHANGE,
                    follow: int = 0) -> dict | None:  # fmt: skip
    """A targeted reconcile of one space's own objects on each of its clusters; None when
    the space is gone.

    1. Per cluster: LIST the space's objects, apply what differs, prune stale ones (a
       removed member's RoleBinding), settle the placement's status; a provisioning space
       then becomes active or failed.
    2. A deleting space: its namespaces are deleted (an operation, not desired state);
       once they are gone the space is deleted. `again_in` asks for a later look until
       then (K2_SPACES_DELETE_POLL_SECONDS, at most K2_SPACES_DELETE_POLL_ATTEMPTS times,
       after which the space fails with the reason in words). Returns {cluster name:
       figures, "again_in": seconds or None}, as reconcile_app.
    """
    space = Space.objects.filter(pk=space_id).first()
    if space is None:
        return None
    out: dict = {"again_in": None}
    placements = [p for p in space.placements.select_related("cluster") if p.cluster.enabled]
    for placement in placements:
        outcome = run_target(placement.cluster, Target(space.namespace), trigger=trigger,
                             quiet=follow > 0)  # fmt: skip
        out[placement.cluster.name] = None if outcome is None else {
            "applied": outcome.applied, "pruned": outcome.pruned, "failed": outcome.failed}  # fmt: skip
        if not follow:
            _reconcile_collection(placement.cluster, trigger)
    if space.state != SpaceState.DELETING:
        return out
    pending = 0
    for placement in placements:
        try:
            gone = cluster_ops.delete_namespace(placement.cluster, space.namespace)
        except GatewayError as exc:
            status_sync.namespace_deletion(placement, gone=False, error=str(exc))
            pending += 1
            continue
        status_sync.namespace_deletion(placement, gone=gone)
        pending += not gone
    if not pending:
        status_sync.space_deleted(space)
        return out
    attempts = settings.K2_SPACES_DELETE_POLL_ATTEMPTS
    if follow >= attempts:
        status_sync.space_deletion_failed(
            space, _("The namespaces were still there after %(n)d checks; delete the space "
                     "again.") % {"n": attempts},
        )  # fmt: skip
        return out
    out["again_in"] = settings.K2_SPACES_DELETE_POLL_SECONDS
    return out


def do_request_reconcile(cluster, *, actor: Actor) -> None:
    """ "Reconcile now": platform admins ask for a full pass of one cluster (queued on commit)."""
    authorize(
        actor, "reconcile.request", cluster, allowed=can_request_reconcile(actor),
        message=_("Only platform admins may start a reconcile pass."), cluster=cluster,
    )  # fmt: skip
    with transaction.atomic():
        record(actor, "reconcile.request", cluster, cluster=cluster)
    enqueue_on_commit("workers.reconcile.reconcile_cluster", cluster.pk, trigger=Trigger.MANUAL)
