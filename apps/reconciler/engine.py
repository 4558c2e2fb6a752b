"""Reconcile one cluster, or one space or app on it: LIST, render, plan, apply, prune,
record. Called by services (full passes under the cluster lock) and the watcher.

A pass never stops for one failing object: the failure is recorded with its error (and
backed off when the object itself is at fault), the rest goes on.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.clusters.gateway import CLIENT_SIDE, GatewayError, Kind
from apps.reconciler import desired as desired_mod
from apps.reconciler import kinds, metrics, planner
from apps.reconciler import status as status_sync
from apps.reconciler.choices import DriftChange, Scope, Trigger
from apps.reconciler.kinds import KINDS, Calls, Key, KindInfo, key_of
from apps.reconciler.models import DriftEvent, ObjectFailure
from apps.workloads.rendering.collection import COMPONENT, COMPONENT_LABEL

log = logging.getLogger(__name__)


# Per process and cluster: objects found equal to their desired manifest, by uid ->
# (uid, resourceVersion, spec hash). Workers live across tasks, so a no-op pass compares
# only what the server changed since the last one. Bounded by the managed objects.
_SEEN: dict[int, dict] = {}


class ClusterUnavailable(Exception):
    """Every LIST failed because the cluster cannot be reached: the pass is skipped."""


@dataclass(frozen=True)
class Target:
    """What a pass covers: the whole cluster, one space's objects, or one app's."""

    namespace: str | None = None
    app: str | None = None
    # An app's own kinds (KINDS_OF_APP), when known: its pass LISTs only those.
    only: tuple[str, ...] = ()
    # The cluster's log collection (Filebeat and its inputs) in `namespace`.
    collection: bool = False

    @property
    def scope(self) -> str:
        if self.collection:
            return Scope.COLLECTION
        if self.namespace is None:
            return Scope.CLUSTER
        return Scope.APP if self.app else Scope.SPACE

    @property
    def label(self) -> str:
        if self.collection:
            return COMPONENT
        if self.namespace is None:
            return ""
        return f"{self.namespace}/{self.app}" if self.app else self.namespace

    def kind_infos(self) -> tuple[KindInfo, ...]:
        if self.scope == Scope.CLUSTER:
            return KINDS
        if self.collection:
            return kinds.COLLECTION_KINDS
        if self.app:
            return tuple(k for k in kinds.APP_KINDS if not self.only or k.kind in self.only)
        return kinds.SPACE_KINDS

    def selectors(self, info: KindInfo, base: str = kinds.SELECTOR) -> tuple[str, str]:
        if self.collection:
            # Ours carry the component label; an unmanaged object in the way does not.
            label = f"{base},{COMPONENT_LABEL}={COMPONENT}" if base == kinds.SELECTOR else base
            return label, f"metadata.namespace={self.namespace}" if info.namespaced else ""
        label = base + (f",{kinds.APP_LABEL}={self.app}" if self.app else "")
        if self.namespace is None:
            return label, ""
        if not info.namespaced:
            return label, f"metadata.name={self.namespace}"
        return label, f"metadata.namespace={self.namespace}"


def collection_target() -> Target:
    """The targeted pass of a cluster's log collection (Filebeat and its inputs)."""
    return Target(settings.K2_LOG_COLLECTION_NAMESPACE, collection=True)


@dataclass
class Outcome:
    """What one reconcile did (the pass row and the metrics are made from it)."""

    checked: int = 0
    applied: int = 0
    pruned: int = 0
    failed: int = 0
    deferred: int = 0
    drifted: int = 0
    prune_blocked: str = ""
    errors: list[str] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    calls: Calls = field(default_factory=Calls)
    status_rows: int = 0
    repaired: list[Key] = field(default_factory=list)
    # Unmanaged objects seen by the pass's own LISTs (one app's pass lists them all).
    foreign: set[Key] | None = None
    # What the pass observed of each owner, for the status module to settle (None when
    # the pass never got that far).
    observation: status_sync.Observation | None = None

    def fail(self, key: Key, error: str) -> None:
        self.failed += 1
        if len(self.failures) < 50:
            self.failures.append({"kind": key[0], "namespace": key[1], "name": key[2],
                                  "error": error[:500]})  # fmt: skip


def _observe(cluster, target: Target, out: Outcome) -> tuple[dict[Key, dict], set[str]]:
    """LIST every kind of the target (label-selected, paged), a few kinds at a time."""
    observed: dict[Key, dict] = {}
    listed: set[str] = set()
    errors: list[GatewayError] = []

    # One app's pass lists its namespace's objects of each kind whatever their labels:
    # the same LIST tells its own objects and the unmanaged ones in their way.
    whole_namespace = target.scope == Scope.APP
    if whole_namespace:
        out.foreign = set()

    def one(info: KindInfo):
        label, fields = target.selectors(info)
        if whole_namespace:
            label = ""
        return info, kinds.list_objects(cluster, info, label_selector=label,
                                        field_selector=fields, calls=out.calls)  # fmt: skip

    workers = settings.K2_RECONCILE_LIST_CONCURRENCY
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, info) for info in target.kind_infos()]
        for future in futures:
            try:
                info, (items, _rv) = future.result()
            except GatewayError as exc:
                errors.append(exc)
                continue
            listed.add(info.kind)
            for item in items:
                if whole_namespace:
                    labels = (item.get("metadata") or {}).get("labels") or {}
                    if labels.get(kinds.MANAGED_BY) != kinds.MANAGER:
                        out.foreign.add(key_of(item))
                        continue
                    if labels.get(kinds.APP_LABEL) != target.app:
                        continue  # another app's
                observed[key_of(item)] = item
    for exc in errors:
        out.errors.append(_("LIST failed: %(error)s") % {"error": exc.message})
    unreachable = {Kind.UNREACHABLE, Kind.CIRCUIT_OPEN, Kind.TLS, Kind.UNAUTHORIZED}
    if errors and not listed and all(e.kind in unreachable for e in errors):
        raise ClusterUnavailable(errors[0].message)
    return observed, listed


def _unmanaged_keys(cluster, target: Target, kinds_needed: set[str], out: Outcome) -> set[Key]:
    """Objects of these kinds that exist *without* K2's label (never to be overwritten);
    a few kinds listed at once (a new app's first pass asks for four)."""

    def one(info: KindInfo) -> list[dict]:
        label, fields = target.selectors(info, base=kinds.UNMANAGED_SELECTOR)
        if target.app:  # the app label would exclude exactly the objects we look for
            label = kinds.UNMANAGED_SELECTOR
        items, _rv = kinds.list_objects(cluster, info, label_selector=label,
                                        field_selector=fields, calls=out.calls)  # fmt: skip
        return items

    needed = [info for info in target.kind_infos() if info.kind in kinds_needed]
    workers = max(1, min(len(needed), settings.K2_RECONCILE_LIST_CONCURRENCY))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = [pool.submit(one, info) for info in needed]
        return {key_of(item) for future in results for item in future.result()}


def _seen(cluster, observed: dict[Key, dict]) -> dict:
    """The cluster's memo of equal objects, without entries of objects no longer listed."""
    memo = _SEEN.setdefault(cluster.pk, {})
    if len(memo) > len(observed):
        alive = {(o.get("metadata") or {}).get("uid") for o in observed.values()}
        for uid in [u for u in memo if u not in alive]:
            del memo[uid]
    return memo


def _backoff(attempts: int) -> timedelta:
    base = settings.K2_RECONCILE_RETRY_BACKOFF
    ceiling = settings.K2_RECONCILE_RETRY_BACKOFF_MAX
    return timedelta(seconds=min(ceiling, base * 2 ** max(0, attempts - 1)))


def _run_writes(jobs: list) -> tuple[dict[Key, str], dict[Key, str]]:
    """Run (key, fn) jobs with the per-cluster write bound: ({key: error} of every failure,
    {key: error} of those where the object itself is at fault)."""
    errors: dict[Key, str] = {}
    object_errors: dict[Key, str] = {}

    def one(job):
        key, fn = job
        try:
            fn()
        except GatewayError as exc:
            return key, exc
        return key, None

    workers = max(1, settings.K2_RECONCILE_WRITE_CONCURRENCY)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for key, exc in pool.map(one, jobs):
            if exc is not None:
                errors[key] = exc.message
                if exc.kind in CLIENT_SIDE:
                    object_errors[key] = exc.message
    return errors, object_errors


def _note_failures(cluster, failing: dict[Key, str], succeeded: set[Key], existing: dict,
                   now: datetime) -> None:  # fmt: skip
    """Back off objects that failed for reasons of their own; forget the ones that healed."""
    healed = [existing[k].pk for k in succeeded if k in existing]
    if healed:
        ObjectFailure.objects.filter(pk__in=healed).delete()
    if not failing:
        return
    update, create = [], []
    for key, error in failing.items():
        row = existing.get(key)
        if row is None:
            create.append(ObjectFailure(cluster=cluster, kind=key[0], namespace=key[1],
                                        name=key[2], attempts=1, error=error[:2000],
                                        first_failed_at=now,
                                        next_attempt_at=now + _backoff(1)))  # fmt: skip
        else:
            row.attempts += 1
            row.error = error[:2000]
            row.next_attempt_at = now + _backoff(row.attempts)
            update.append(row)
    if update:
        ObjectFailure.objects.bulk_update(update, ["attempts", "error", "next_attempt_at"])
    if create:
        ObjectFailure.objects.bulk_create(create, ignore_conflicts=True)


def reconcile(
    cluster, target: Target = Target(), *, trigger: str = Trigger.SCHEDULE,
    detected_at: datetime | None = None,
) -> Outcome:  # fmt: skip
    """Make `cluster` match the database for `target`. Raises ClusterUnavailable.

    1. LIST the target's kinds (label-selected), *then* read the desired state: an object
       created after the LIST belongs to a row committed before the read, so it is never
       mistaken for an orphan.
    2. Plan: apply what is missing, edited or outdated; prune orphans (guards in
       planner.plan); objects backing off after failures wait their turn.
    3. Never overwrite an object that exists without K2's label.
    4. Apply (namespaces first), prune, with the per-cluster write bound.
    5. Record failures (backoff), drift events, status figures.
    """
    out = Outcome()
    now = timezone.now()
    observed, listed = _observe(cluster, target, out)
    try:
        if target.collection:
            state = desired_mod.DesiredState()
        else:
            state = desired_mod.desired_state(
                cluster, namespace=target.namespace, app_name=target.app,
                spaces=target.scope != Scope.APP, apps=target.scope != Scope.SPACE,
            )  # fmt: skip
        if target.scope in (Scope.CLUSTER, Scope.COLLECTION):
            desired_mod.add_collection(cluster, state)
    except Exception as exc:  # noqa: BLE001 - nothing is applied or pruned without it
        log.exception("desired state of cluster %s", cluster.name)
        out.errors.append(_("The desired state could not be read: %(error)s") % {"error": exc})
        out.prune_blocked = "desired"
        return out
    out.errors += state.errors
    owner = (target.namespace, target.app)
    if target.app and owner not in state.app_ids and owner not in state.removing:
        # No such app row in a live space: its leftovers are orphans for a full pass, with
        # the cluster-wide guards, not for a targeted one. (An app being deleted, or no
        # longer placed here, is in `removing`: its objects are pruned now.)
        state.hands_off.add(owner)
    failures = ObjectFailure.objects.filter(cluster=cluster)
    if target.namespace is not None:
        failures = failures.filter(namespace__in=[target.namespace, ""])
    existing = {(f.kind, f.namespace, f.name): f for f in failures}
    skip = {k for k, f in existing.items() if f.next_attempt_at > now}
    if target.scope != Scope.CLUSTER:
        skip = set()  # a targeted repair (someone asked) tries at once
    share = settings.K2_RECONCILE_MAX_PRUNE_SHARE
    result = planner.plan(
        state.objects, observed, listed_kinds=listed, desired_complete=not state.errors,
        lists_complete=len(listed) == len(target.kind_infos()),
        prunable_namespaces=state.prunable_namespaces, hands_off=state.hands_off,
        hands_off_namespaces=state.hands_off_namespaces,
        max_prune_share=share if target.scope == Scope.CLUSTER else 1.0, skip=skip,
        prunable_component=COMPONENT if target.scope in (Scope.CLUSTER, Scope.COLLECTION) else "",
        seen=_seen(cluster, observed) if target.scope == Scope.CLUSTER else None,
    )  # fmt: skip
    out.checked = result.checked
    out.deferred = len(skip & (set(state.objects) | set(observed)))
    out.prune_blocked = result.prune_blocked
    actions = result.apply
    missing = {a.key[0] for a in actions if a.reason == planner.MISSING}
    failing: dict[Key, str] = {}
    unchecked: dict[Key, str] = {}  # not written this pass (its status is not settled)
    if missing:
        try:
            foreign = out.foreign
            if foreign is None:
                foreign = _unmanaged_keys(cluster, target, missing, out)
        except GatewayError as exc:
            out.errors.append(_("LIST failed: %(error)s") % {"error": exc.message})
            foreign = None
        # A namespace that exists without K2's label is someone else's: nothing of the
        # space is written into it (the log collection goes into one made for it).
        foreign_ns = {k[2] for k in foreign or () if k[0] == "Namespace"}
        kept = []
        for action in actions:
            labels = action.desired.manifest["metadata"].get("labels") or {}
            # The log collection's namespace is the admins' (docs/log-collection.md).
            collection = labels.get(COMPONENT_LABEL) == COMPONENT
            if action.key[0] != "Namespace" and action.key[1] in foreign_ns and not collection:
                unchecked[action.key] = ""
            elif action.reason != planner.MISSING:
                kept.append(action)
            elif foreign is None:
                message = _("not checked for an unmanaged object of that name")
                out.fail(action.key, message)
                unchecked[action.key] = message
            elif action.key in foreign:
                if action.key[0] == "Namespace":
                    message = _("Namespace %(ns)s already exists on cluster %(cluster)s and is "
                                "not managed by K2Cloud; choose another name or ask a platform "
                                "admin.") % {"ns": action.key[2], "cluster": cluster.name}  # fmt: skip
                else:
                    message = _("%(kind)s %(name)s exists but is not managed by K2Cloud; it "
                                "was left untouched.") % {"kind": action.key[0],
                                                          "name": action.key[2]}  # fmt: skip
                out.fail(action.key, message)
                failing[action.key] = message
            else:
                kept.append(action)
        actions = kept
    first = [a for a in actions if a.key[0] == "Namespace"]
    rest = [a for a in actions if a.key[0] != "Namespace"]
    write_errors: dict[Key, str] = {}
    object_errors: dict[Key, str] = {}
    for batch in (first, rest):
        jobs = [(a.key, lambda m=a.desired.manifest: kinds.apply(cluster, m, calls=out.calls))
                for a in batch]  # fmt: skip
        errs, own = _run_writes(jobs)
        write_errors.update(errs)
        object_errors.update(own)
    prune_jobs = [(k, lambda k=k: kinds.delete(cluster, *k, calls=out.calls))
                  for k in result.prune]  # fmt: skip
    errs, own = _run_writes(prune_jobs)
    write_errors.update(errs)
    object_errors.update(own)
    for key, error in write_errors.items():
        out.fail(key, error)
    failing.update(object_errors)
    applied_keys = [a.key for a in actions if a.key not in write_errors]
    out.applied = len(applied_keys)
    out.pruned = len([k for k in result.prune if k not in write_errors])
    done = set(applied_keys) | {k for k in result.prune if k not in write_errors}
    done |= {k for k in state.objects if k in observed and k not in write_errors}
    _note_failures(cluster, failing, done, existing, now)
    drift = result.drifted
    events = []
    repaired_at = timezone.now()
    for action in drift:
        if action.key in failing and action.key not in write_errors:
            continue  # unmanaged: not ours
        error = write_errors.get(action.key, "")
        change = DriftChange.MODIFIED if action.reason == planner.MODIFIED else DriftChange.DELETED
        labels = action.desired.manifest["metadata"].get("labels") or {}
        events.append(DriftEvent(
            cluster=cluster, space_id=action.desired.space_id, app_id=action.desired.app_id,
            app_name=labels.get(kinds.APP_LABEL, ""), kind=action.key[0],
            namespace=action.key[1], name=action.key[2], change=change,
            detail=action.detail[:1000], trigger=trigger, detected_at=detected_at or now,
            repaired_at=None if error else repaired_at, error=error[:2000],
        ))  # fmt: skip
        metrics.DRIFT.labels(cluster.name, action.key[0], change).inc()
        if not error:
            out.repaired.append(action.key)
    if events:
        DriftEvent.objects.bulk_create(events)
    out.drifted = len(events)
    if target.scope in (Scope.CLUSTER, Scope.APP):
        figures = status_sync.app_figures(observed, state.app_ids)
    else:
        figures = {}
    spaces = status_sync.space_figures(observed, state.space_ids)
    if target.scope in (Scope.APP, Scope.COLLECTION):
        spaces = {}
    full = target.scope == Scope.CLUSTER and len(listed) == len(KINDS)
    out.status_rows = status_sync.sync(cluster, figures, spaces, full=full)
    pruned_ok = {k for k in result.prune if k not in write_errors}
    out.observation = status_sync.observe(
        cluster, target, state, observed, listed,
        errors={**{k: v for k, v in unchecked.items() if v}, **failing, **write_errors},
        unsettled=skip, written={a.key for a in actions if a.key not in write_errors}, pruned=pruned_ok, now=now,
    )  # fmt: skip
    out.status_rows += out.observation.rows
    metrics.OBJECTS.labels(cluster.name, "applied").inc(out.applied)
    metrics.OBJECTS.labels(cluster.name, "pruned").inc(out.pruned)
    metrics.OBJECTS.labels(cluster.name, "failed").inc(out.failed)
    if result.prune_blocked:
        metrics.PRUNE_BLOCKED.labels(cluster.name, result.prune_blocked).inc()
    return out
