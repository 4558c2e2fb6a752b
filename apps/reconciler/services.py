"""Every write of the reconciler: passes (operation rows) and the "reconcile now" request.

run_pass(cluster_id, trigger=..., wait=0)    a full pass under the cluster's lock
run_target(cluster, Target(ns, app), ...)    one space or app (watch, on-commit hooks)
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
from apps.clusters.choices import Health
from apps.reconciler import metrics
from apps.reconciler.choices import PassStatus, Scope, Trigger
from apps.reconciler.engine import ClusterUnavailable, Outcome, Target, reconcile
from apps.reconciler.locks import ClusterLock, owner_name
from apps.reconciler.models import ReconcilePass
from apps.reconciler.permissions import can_request_reconcile

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
    from apps.clusters.models import Cluster

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


def run_target(cluster, target: Target, *, trigger: str = Trigger.CHANGE,
               detected_at: datetime | None = None,
               wait: float = 10) -> Outcome | None:  # fmt: skip
    """Reconcile one space's or app's objects on one cluster (no cluster lock: a full pass
    and a targeted one converge on the same objects; one targeted run per target at a
    time). A pass row is written when something was applied, pruned or failed, or when a
    person or a change asked for it."""
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
        if detected_at is not None:
            for _key in outcome.repaired:
                metrics.REPAIR_SECONDS.labels(cluster.name).observe(
                    (timezone.now() - detected_at).total_seconds()
                )
        busy = outcome.applied or outcome.pruned or outcome.failed or outcome.errors
        if busy or trigger != Trigger.WATCH:
            row = ReconcilePass(
                cluster=cluster, scope=target.scope, target=target.label, trigger=trigger,
                worker=owner_name(), started_at=now,
            )  # fmt: skip
            _finish(row, outcome, started)
        return outcome
    finally:
        lock.release()


def _app_clusters(app) -> list:
    from apps.workloads.models import AppCluster

    placed = [p.cluster for p in AppCluster.objects.filter(app=app).select_related("cluster")]
    others = [sc.cluster for sc in app.space.placements.select_related("cluster")]
    seen, out = set(), []
    for cluster in placed + others:
        if cluster.pk not in seen and cluster.enabled:
            seen.add(cluster.pk)
            out.append(cluster)
    return out


def reconcile_app(app_id: int, *, trigger: str = Trigger.CHANGE) -> dict | None:
    """A targeted reconcile of one app on every cluster of its space (it may have left one)."""
    from apps.workloads.models import App

    app = App.objects.select_related("space").filter(pk=app_id).first()
    if app is None:
        return None
    out = {}
    for cluster in _app_clusters(app):
        outcome = run_target(cluster, Target(app.space.namespace, app.name), trigger=trigger)
        out[cluster.name] = None if outcome is None else {
            "applied": outcome.applied, "pruned": outcome.pruned, "failed": outcome.failed}  # fmt: skip
    return out


def reconcile_space(space_id: int, *, trigger: str = Trigger.CHANGE) -> dict | None:
    """A targeted reconcile of one space's own objects on each of its clusters."""
    from apps.spaces.models import Space

    space = Space.objects.filter(pk=space_id).first()
    if space is None:
        return None
    out = {}
    for placement in space.placements.select_related("cluster"):
        if not placement.cluster.enabled:
            continue
        outcome = run_target(placement.cluster, Target(space.namespace), trigger=trigger)
        out[placement.cluster.name] = None if outcome is None else {
            "applied": outcome.applied, "pruned": outcome.pruned, "failed": outcome.failed}  # fmt: skip
    return out


def do_request_reconcile(cluster, *, actor) -> None:
    """ "Reconcile now": platform admins ask for a full pass of one cluster (queued on commit)."""
    authorize(
        actor, "reconcile.request", cluster, allowed=can_request_reconcile(actor),
        message=_("Only platform admins may start a reconcile pass."), cluster=cluster,
    )  # fmt: skip
    with transaction.atomic():
        record(actor, "reconcile.request", cluster, cluster=cluster)
    cluster_id = cluster.pk

    def send():
        from workers.reconcile import reconcile_cluster

        reconcile_cluster.apply_async(args=[cluster_id], kwargs={"trigger": Trigger.MANUAL})

    transaction.on_commit(send)
