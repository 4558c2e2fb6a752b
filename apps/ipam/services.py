"""IPAM cleanup: the run of one cluster, starting runs, the schedule, the policy.

run_cluster(cluster, *, trigger, actor, operation=None) -> IpamRun
    One run under the cluster's singleton lock (a second run at the same time is recorded
    as skipped, never waits): LIST every kind once (paged), classify (classify.py), keep
    the candidates (LeakCandidate rows), and — in release mode or on "release now" —
    release those proven leaked (release.py), at most `release_bound`, nothing at all
    when a pool looks too leaked. The report row says what was found and done, in words.

do_scan_now / do_release_now(cluster, *, actor) -> Operation
    Platform admins' buttons: an operation of kind "ipam.run" (one active per cluster).

do_schedule_due(now=None) -> dict
    The beat (every minute): a run of every enabled cluster whose interval has passed;
    an unreachable cluster gets a skipped run row and the others go on.

do_update_policy(cluster, *, actor, **fields) -> IpamPolicy
    Mode, grace period, release bound, stop share, interval, pools (platform admins).

Proof before release (docs/ipam.md): a candidate is released only when (1) it was a
candidate in two scans at least the grace period apart, (2) the scan's LIST, read from
etcd, shows the address on no live pod, and (3) a GET of the pod right before the
release says it is gone or holds another address.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.choices import Outcome
from apps.audit.services import authorize, diff, record, snapshot
from apps.clusters.choices import Health
from apps.clusters.gateway import CallStats, GatewayError, Kind
from apps.clusters.models import Cluster
from apps.ipam import cluster_ops
from apps.ipam.choices import Mode, RunState, Trigger
from apps.ipam.classify import Allocation, Scan, classify, still_gone
from apps.ipam.metrics import (
    ALERTS,
    ALLOCATIONS,
    CONFLICTS,
    LEAKED_SHARE,
    RELEASES,
    RUNS,
    SCAN_SECONDS,
)
from apps.ipam.models import IpamPolicy, IpamRun, LeakCandidate, defaults_for
from apps.ipam.permissions import can_manage_ipam
from apps.ipam.release import (
    ALREADY_RELEASED,
    CHANGED_HANDS,
    GAVE_UP,
    RELEASED,
    Interrupted,
    delete_orphan_handle,
    release_in_block,
)
from apps.operations.locks import OwnedLock
from apps.operations.models import Operation
from apps.operations.services import do_start_operation

log = logging.getLogger(__name__)
RUN_KIND = "ipam.run"
SCHEDULER = Actor.system("workers.ipam.schedule_due")
ALLOCATION, HANDLE = "allocation", "handle"  # the kinds of LeakCandidate
NO_ADDRESS = str(ipaddress.IPv4Address(0))  # the ip of a handle's row (it holds none)
REPORT_ROWS = 500  # entries per report list (the counts are always complete)
POLICY_FIELDS = ["mode", "grace_seconds", "release_bound", "max_leaked_share",
                 "interval_seconds", "pools"]  # fmt: skip


class NoCalico(Exception):
    """The cluster serves no crd.projectcalico.org IPPools: nothing to do, not an error."""


def policy_for(cluster: Cluster) -> IpamPolicy:
    policy, _created = IpamPolicy.objects.get_or_create(
        cluster=cluster, defaults=defaults_for(cluster)
    )
    return policy


# --- reading ------------------------------------------------------------------------------
def read_cluster(cluster: Cluster, stats: CallStats) -> dict[str, list[dict]]:
    """One paged LIST per kind. NoCalico when the IPPool kind is not served."""
    try:
        pools = cluster_ops.list_all(cluster, "ippools", stats=stats)
    except GatewayError as exc:
        if exc.kind == Kind.NOT_FOUND:
            raise NoCalico from exc
        raise
    data = {"pools": pools}
    for key, kind in (("blocks", "ipamblocks"), ("handles", "ipamhandles"),
                      ("affinities", "blockaffinities"), ("pods", "pods"), ("nodes", "nodes")):  # fmt: skip
        data[key] = cluster_ops.list_all(cluster, kind, stats=stats)
    return data


def scan_cluster(cluster: Cluster, policy: IpamPolicy, stats: CallStats) -> Scan:
    data = read_cluster(cluster, stats)
    return classify(**data, managed_pools=list(policy.pools or []))


# --- candidates and the grace period --------------------------------------------------------
def track_candidates(cluster: Cluster, scan: Scan, now, grace_seconds: int):
    """Keep one row per candidate (first seen kept, last seen now); forget the ones this
    scan no longer finds. Returns (eligible, held) among the releasable candidates:
    eligible were candidates in an earlier scan at least the grace period ago."""
    rows = LeakCandidate.objects.filter(cluster=cluster, kind=ALLOCATION)
    existing = {f"{c.ip}|{c.handle}": c for c in rows}
    found = {a.key: a for a in scan.candidates}
    with transaction.atomic():
        gone = [c.pk for key, c in existing.items() if key not in found]
        LeakCandidate.objects.filter(pk__in=gone).delete()
        fresh, seen = [], []
        for key, a in found.items():
            row = existing.get(key)
            values = {"block": a.block, "cidr": a.cidr, "ordinal": a.ordinal, "namespace": a.namespace,
                      "pod": a.pod, "node": a.node, "pool": a.pool, "reason": a.reason[:300]}  # fmt: skip
            if row is None:
                fresh.append(LeakCandidate(cluster=cluster, ip=a.ip, handle=a.handle[:253],
                                           first_seen_at=now, last_seen_at=now, **values))  # fmt: skip
            else:
                for field, value in values.items():
                    setattr(row, field, value)
                row.last_seen_at = now
                seen.append(row)
        LeakCandidate.objects.bulk_create(fresh, batch_size=500)
        LeakCandidate.objects.bulk_update(seen, ["last_seen_at", *values_fields()], batch_size=500)
    cutoff = now - timedelta(seconds=grace_seconds)
    eligible, held = [], []
    for a in scan.releasable:
        row = existing.get(a.key)
        if row is not None and row.first_seen_at <= cutoff and row.first_seen_at < now:
            eligible.append((row.first_seen_at, a))
        else:
            held.append(a)
    eligible.sort(key=lambda pair: (pair[0], pair[1].cidr, pair[1].ordinal))
    return [a for _seen, a in eligible], held


def track_handles(cluster: Cluster, scan: Scan, now, grace_seconds: int) -> tuple[list[str], int]:
    """The same two-scan rule for pod handles with no allocation: (eligible, held)."""
    rows = {c.handle: c for c in LeakCandidate.objects.filter(cluster=cluster, kind=HANDLE)}
    found = set(scan.deletable_handles)
    LeakCandidate.objects.filter(pk__in=[c.pk for h, c in rows.items() if h not in found]).delete()
    LeakCandidate.objects.bulk_create(
        [LeakCandidate(cluster=cluster, kind=HANDLE, ip=NO_ADDRESS, handle=h[:253], block="", cidr="",
                       ordinal=0, reason="has no allocation", first_seen_at=now, last_seen_at=now)
         for h in found if h not in rows], batch_size=500,
    )  # fmt: skip
    LeakCandidate.objects.filter(cluster=cluster, kind=HANDLE, handle__in=found).update(
        last_seen_at=now
    )
    cutoff = now - timedelta(seconds=grace_seconds)
    eligible = sorted(h for h in found if h in rows and rows[h].first_seen_at <= cutoff
                      and rows[h].first_seen_at < now)  # fmt: skip
    return eligible, len(found) - len(eligible)


def delete_handles(cluster: Cluster, names: list[str], *, actor: Actor, stats: CallStats,
                   counts: dict, report: dict) -> None:  # fmt: skip
    """Delete orphaned pod handles (each re-checked against its blocks right before)."""
    for name in names:
        outcome = delete_orphan_handle(cluster, name, stats=stats)
        LeakCandidate.objects.filter(cluster=cluster, kind=HANDLE, handle=name).delete()
        if outcome == RELEASED:
            counts["handles_deleted"] += 1
            report["handles_deleted"].append(name)
            record(actor, "ipam.handle.delete", ("ipam.handle", name, name), cluster=cluster,
                   reason="a pod handle with no allocation, in two scans a grace period apart",
                   changes={"handle": name})  # fmt: skip


def values_fields() -> list[str]:
    return ["block", "cidr", "ordinal", "namespace", "pod", "node", "pool", "reason"]


def _entry(a: Allocation, **extra) -> dict:
    return {"ip": a.ip, "handle": a.handle, "block": a.block, "pod": f"{a.namespace}/{a.pod}",
            "node": a.node, "reason": a.reason, **extra}  # fmt: skip


def _too_leaked(scan: Scan, share: float) -> str:
    for pool in scan.pools:
        if pool.allocated and pool.leaked_share > share:
            return _("Pool %(pool)s: %(leaked)s of %(allocated)s allocated addresses (%(pct)s%%) "
                     "look leaked, more than the %(limit)s%% this cluster allows; nothing was "
                     "released. Check the scan (pods listed, nodes) before raising the limit.") % {
                "pool": pool.name, "leaked": pool.leaked, "allocated": pool.allocated,
                "pct": round(100 * pool.leaked_share, 1), "limit": round(100 * share, 1)}  # fmt: skip
    return ""


# --- releasing ----------------------------------------------------------------------------
def release_candidates(cluster: Cluster, eligible: list[Allocation], *, actor: Actor,
                       stats: CallStats, counts: dict, report: dict) -> None:  # fmt: skip
    """Release the eligible addresses that pass the fresh-GET proof, one conditional block
    write per block; counts and report entries are filled in as it goes (a GatewayError
    that is not a conflict stops it: the caller records it)."""
    proven: dict[str, list[Allocation]] = {}
    for a in eligible:
        pod = cluster_ops.get_pod(cluster, a.namespace, a.pod, stats=stats)
        why = still_gone(a, pod)
        if why:
            counts["held_live"] += 1
            report["held"].append(_entry(a, held=why))
            continue
        proven.setdefault(a.block, []).append(a)
    for block, allocations in proven.items():
        interrupted = None
        try:
            results, conflicts = release_in_block(
                cluster, block=block, cidr=allocations[0].cidr, stats=stats,
                items=[(a.ordinal, a.handle) for a in allocations],
            )  # fmt: skip
        except Interrupted as exc:
            results, conflicts, interrupted = exc.results, exc.conflicts, exc.error
        counts["conflicts"] += conflicts
        if conflicts:
            CONFLICTS.labels(cluster.name).inc(conflicts)
        for a in allocations:
            _account(cluster, a, results[a.ordinal], actor=actor, counts=counts, report=report)
        if interrupted is not None:
            raise interrupted


def _account(cluster, a: Allocation, result, *, actor: Actor, counts: dict, report: dict) -> None:
    RELEASES.labels(cluster.name, result.outcome).inc()
    if result.outcome == GAVE_UP:
        counts["gave_up"] += 1
        report["errors"].append(_("%(ip)s: %(detail)s; left for the next run.")
                                % {"ip": a.ip, "detail": result.detail})  # fmt: skip
        return
    LeakCandidate.objects.filter(cluster=cluster, ip=a.ip, handle=a.handle).delete()
    if result.outcome == RELEASED:
        counts["released"] += 1
        if len(report["released"]) < REPORT_ROWS:
            report["released"].append(_entry(a))
        record(actor, "ipam.release", ("ipam.allocation", a.ip, f"{a.ip} ({a.handle})"),
               cluster=cluster, reason=a.reason,
               changes={"ip": a.ip, "handle": a.handle, "block": a.block, "ordinal": a.ordinal,
                        "pod": f"{a.namespace}/{a.pod}", "node": a.node, "why": a.reason})  # fmt: skip
    elif result.outcome == ALREADY_RELEASED:
        counts["already_released"] += 1
    elif result.outcome == CHANGED_HANDS:
        counts["changed"] += 1


# --- the run ------------------------------------------------------------------------------
def _lock(cluster: Cluster) -> OwnedLock:
    return OwnedLock(f"k2:ipam:run:{cluster.pk}", max_seconds=900)


def _finish(run: IpamRun, state: str, report: dict, error: str = "") -> IpamRun:
    run.state, run.report, run.error, run.finished_at = state, report, error[:4000], timezone.now()
    run.save(update_fields=["state", "report", "error", "finished_at"])
    RUNS.labels(run.cluster.name, state).inc()
    return run


def _empty_counts() -> dict:
    keys = ("in_use", "leaked", "not_pod", "no_handle", "malformed", "blocked", "held_grace",
            "held_live", "eligible", "deferred", "released", "already_released", "changed",
            "conflicts", "gave_up", "orphan_handles", "stale_affinities", "handles_eligible",
            "handles_held_grace", "handles_deleted")  # fmt: skip
    return dict.fromkeys(keys, 0)


def run_cluster(cluster: Cluster, *, trigger: str, actor: Actor,
                operation: Operation | None = None) -> IpamRun:  # fmt: skip
    """One run of one cluster (see the module docstring); never raises for cluster faults."""
    policy = policy_for(cluster)
    # A scan never releases; a scheduled run releases in release mode; "release now" does
    # (its service refuses a cluster whose mode is off).
    release = trigger == Trigger.RELEASE or (
        trigger == Trigger.SCHEDULE and policy.mode == Mode.RELEASE
    )
    run = IpamRun.objects.create(cluster=cluster, operation=operation, trigger=trigger,
                                 mode=policy.mode, actor_name=actor.name[:150])  # fmt: skip
    counts = _empty_counts()
    report: dict = {"calico": True, "release": release, "counts": counts, "pools": [],
                    "released": [], "held": [], "candidates": [], "errors": [], "problems": [],
                    "orphan_handles": [], "stale_affinities": [], "stopped": "",
                    "handles_deleted": []}  # fmt: skip
    lock = _lock(cluster)
    if not lock.acquire(wait=0):
        return _finish(
            run,
            RunState.SKIPPED,
            report,
            _("Another IPAM run of this cluster is under way; this one was skipped."),
        )
    stats = CallStats()
    started = time.monotonic()
    try:
        try:
            scan = scan_cluster(cluster, policy, stats)
        except NoCalico:
            report["calico"] = False
            return _finish(run, RunState.NO_CALICO, report,
                           _("No Calico on this cluster: it serves no crd.projectcalico.org IPPools."))  # fmt: skip
        except GatewayError as exc:
            report["api_calls"] = stats.attempts
            return _finish(
                run,
                RunState.FAILED,
                report,
                _("The scan could not read the cluster: %(e)s") % {"e": exc},
            )
        SCAN_SECONDS.observe(time.monotonic() - started)
        report["scan_seconds"] = round(time.monotonic() - started, 3)
        now = timezone.now()
        eligible, held = track_candidates(cluster, scan, now, policy.grace_seconds)
        handles, handles_held = track_handles(cluster, scan, now, policy.grace_seconds)
        _fill_scan_report(cluster, scan, report, counts, held, policy)
        counts["eligible"] = len(eligible)
        counts["handles_eligible"], counts["handles_held_grace"] = len(handles), handles_held
        state = RunState.SUCCEEDED
        error = ""
        stopped = _too_leaked(scan, policy.max_leaked_share)
        if stopped:
            report["stopped"] = stopped
            ALERTS.labels(cluster.name).inc()
            record(
                actor,
                "ipam.alert",
                cluster,
                cluster=cluster,
                outcome=Outcome.FAILED,
                reason=stopped,
            )
            state, error = RunState.STOPPED, stopped
        elif release and (eligible or handles):
            batch = eligible[: policy.release_bound]
            counts["deferred"] = len(eligible) - len(batch)
            try:
                release_candidates(cluster, batch, actor=actor, stats=stats, counts=counts,
                                   report=report)  # fmt: skip
                delete_handles(cluster, handles[: policy.release_bound], actor=actor, stats=stats,
                               counts=counts, report=report)  # fmt: skip
            except GatewayError as exc:
                state = RunState.FAILED
                error = _("The cluster stopped answering during the release: %(e)s. What was "
                          "written is consistent; the next run goes on.") % {"e": exc}  # fmt: skip
        else:
            counts["deferred"] = 0
        report["api_calls"] = stats.attempts
        report["seconds"] = round(time.monotonic() - started, 3)
        return _finish(run, state, report, error)
    except Exception as exc:  # noqa: BLE001 - a bug must still close the run row
        log.exception("IPAM run %s of %s failed", run.pk, cluster.name)
        _finish(run, RunState.FAILED, report, f"{exc.__class__.__name__}: {exc}")
        raise
    finally:
        lock.release()


def _fill_scan_report(cluster, scan: Scan, report: dict, counts: dict, held, policy) -> None:
    counts.update(scan.counts())
    counts["blocked"] = sum(1 for a in scan.candidates if a.blocked_by)
    counts["held_grace"] = len(held)
    counts["orphan_handles"] = len(scan.orphan_handles)
    counts["stale_affinities"] = len(scan.stale_affinities)
    report["pools"] = [p.as_dict() for p in scan.pools]
    report["pools_scanned"] = len(scan.pools)
    report["blocks_scanned"] = scan.block_count
    report["problems"] = scan.problems[:REPORT_ROWS]
    report["orphan_handles"] = scan.orphan_handles[:REPORT_ROWS]
    report["stale_affinities"] = scan.stale_affinities[:REPORT_ROWS]
    report["candidates"] = [
        _entry(a, blocked_by=a.blocked_by) for a in scan.candidates[:REPORT_ROWS]
    ]
    report["grace_seconds"] = policy.grace_seconds
    for klass, value in scan.counts().items():
        ALLOCATIONS.labels(cluster.name, klass).set(value)
    for pool in scan.pools:
        LEAKED_SHARE.labels(cluster.name, pool.name).set(round(pool.leaked_share, 4))


# --- starting runs ------------------------------------------------------------------------
def _start(cluster: Cluster, trigger: str, actor: Actor) -> Operation:
    with transaction.atomic():
        return do_start_operation(RUN_KIND, actor=actor, cluster=cluster, params={"trigger": trigger},
                                  key=f"{RUN_KIND}:{cluster.pk}")  # fmt: skip


def do_scan_now(cluster: Cluster, *, actor: Actor) -> Operation:
    """Scan now (a report, no release whatever the mode): platform admins."""
    authorize(actor, "ipam.scan", cluster, allowed=lambda: can_manage_ipam(actor), cluster=cluster,
              message=_("Only platform admins scan a cluster's IPAM."))  # fmt: skip
    return _start(cluster, Trigger.SCAN, actor)


def do_release_now(cluster: Cluster, *, actor: Actor) -> Operation:
    """Release now what is proven leaked (the same proof as a scheduled run): platform
    admins, on a cluster whose mode is not off."""
    authorize(actor, "ipam.release_now", cluster, allowed=lambda: can_manage_ipam(actor),
              cluster=cluster, message=_("Only platform admins release a cluster's leaked IPs."))  # fmt: skip
    if policy_for(cluster).mode == Mode.OFF:
        raise ValidationError({"mode": _("IPAM cleanup is off for this cluster: set it to "
                                         "report only or release first.")})  # fmt: skip
    return _start(cluster, Trigger.RELEASE, actor)


def release_preview(cluster: Cluster, now=None) -> list[LeakCandidate]:
    """What "release now" would release if the new scan finds the same: the candidates of
    the last scan past their grace period, in releasable pools, at most the bound."""
    policy = policy_for(cluster)
    cutoff = (now or timezone.now()) - timedelta(seconds=policy.grace_seconds)
    rows = LeakCandidate.objects.filter(cluster=cluster, kind=ALLOCATION, first_seen_at__lte=cutoff)
    last = IpamRun.objects.filter(
        cluster=cluster, state__in=[RunState.SUCCEEDED, RunState.STOPPED]
    ).first()
    blocked = {c["ip"] for c in ((last.report or {}).get("candidates") or []) if c.get("blocked_by")} if last else set()  # fmt: skip
    return [r for r in rows.order_by("first_seen_at", "cidr", "ordinal") if r.ip not in blocked][
        : policy.release_bound
    ]


def do_schedule_due(now=None) -> dict:
    """Start a run of every enabled cluster whose interval has passed (mode not off)."""
    now = now or timezone.now()
    started = skipped = 0
    for cluster in Cluster.objects.filter(enabled=True).order_by("pk"):
        policy = policy_for(cluster)
        if policy.mode == Mode.OFF:
            continue
        due = policy.last_scheduled_at is None or (
            policy.last_scheduled_at <= now - timedelta(seconds=policy.interval_seconds)
        )
        if not due:
            continue
        IpamPolicy.objects.filter(pk=policy.pk).update(last_scheduled_at=now)
        if cluster.health == Health.UNREACHABLE:
            run = IpamRun.objects.create(cluster=cluster, trigger=Trigger.SCHEDULE, mode=policy.mode,
                                         actor_name=SCHEDULER.name[:150])  # fmt: skip
            _finish(
                run,
                RunState.SKIPPED,
                {"counts": _empty_counts()},
                _("The cluster is unreachable; skipped until a probe succeeds."),
            )
            skipped += 1
            continue
        _start(cluster, Trigger.SCHEDULE, SCHEDULER)
        started += 1
    return {"started": started, "skipped": skipped}


# --- the policy ---------------------------------------------------------------------------
def do_update_policy(cluster: Cluster, *, actor: Actor, **fields) -> IpamPolicy:
    """Change the cluster's IPAM policy (platform admins): validated, one transaction, audited."""
    authorize(actor, "ipam.policy.update", cluster, allowed=lambda: can_manage_ipam(actor),
              cluster=cluster, message=_("Only platform admins change a cluster's IPAM policy."))  # fmt: skip
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in unknown})
    pools = fields.get("pools")
    if pools is not None and (
        not isinstance(pools, list) or not all(isinstance(p, str) and p for p in pools)
    ):
        raise ValidationError({"pools": _("A list of IPPool names.")})
    with transaction.atomic():
        policy = IpamPolicy.objects.select_for_update().get(pk=policy_for(cluster).pk)
        before = snapshot(policy, POLICY_FIELDS)
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.full_clean(exclude=["cluster"])
        policy.save()
        changes = diff(before, snapshot(policy, POLICY_FIELDS))
        if changes:
            record(actor, "ipam.policy.update", policy, changes=changes, cluster=cluster)
    return policy
