"""The watcher: per cluster and kind, WATCH the managed objects and turn drift into a
targeted repair within a second or two.

For each (cluster, kind) a thread LISTs (to learn the objects and a resourceVersion),
then WATCHes from that version, resuming from the last version it saw after a dropped
connection and re-LISTing on 410 Gone. Each object is fingerprinted (labels,
annotations, spec/data; not status): an ADDED object is noted, a MODIFIED one whose
fingerprint changed and whose latest write was not K2Cloud's own, and every DELETED one,
queue a repair of its owner (the app, or the space for space objects). Repairs are
coalesced per owner and run by a few repair threads through services.run_target, the same
code as every pass.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from apps.clusters.watchloop import WatchLoop, events
from apps.reconciler import kinds
from apps.reconciler import status as status_sync
from apps.reconciler.choices import Trigger
from apps.reconciler.engine import Target, collection_target
from apps.reconciler.kinds import APP_LABEL, MANAGER, KindInfo, key_of
from apps.reconciler.services import run_target
from apps.workloads.rendering.collection import COMPONENT, COMPONENT_LABEL

log = logging.getLogger(__name__)


def fingerprint(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    body = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
    body["labels"] = meta.get("labels") or {}
    body["annotations"] = meta.get("annotations") or {}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def foreign_write(obj: dict) -> bool:
    """Whether someone other than K2Cloud may have written the object last: a managedFields
    entry of another manager (status updates aside) no older than K2Cloud's own. Times
    have a one-second resolution, so a tie counts as foreign (the repair finds out)."""
    entries = [e for e in (obj.get("metadata") or {}).get("managedFields") or []
               if e.get("subresource", "") != "status"]  # fmt: skip
    ours = [e.get("time") or "" for e in entries if e.get("manager") == MANAGER]
    newest = max(ours, default="")
    return any(e.get("manager") != MANAGER and (e.get("time") or "") >= newest for e in entries)


def owner_target(obj: dict) -> Target:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or meta.get("name")
    labels = meta.get("labels") or {}
    if labels.get(COMPONENT_LABEL) == COMPONENT:
        return collection_target()
    app = labels.get(APP_LABEL) or None
    return Target(namespace, app)


class Watcher:
    """Watches clusters; `start()` returns at once, `stop()` ends the threads."""

    def __init__(self, clusters, *, timeout: int | None = None, repair_threads: int | None = None):
        self.clusters = list(clusters)
        self.timeout = timeout or settings.K2_RECONCILE_WATCH_TIMEOUT
        self.repair_threads = repair_threads or settings.K2_RECONCILE_WATCH_REPAIR_THREADS
        self._pending: dict[tuple, tuple] = {}
        self._figures: dict[tuple, dict] = {}  # (cluster id, key) -> last status figures
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._responses: set = set()
        self.ready = threading.Event()
        self._listed = 0
        self.repairs = 0
        self.relists = 0

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> Watcher:
        # A dozen long watches per cluster outgrow the client's pool of K2_CLUSTER_MAX_
        # CONCURRENCY connections; urllib3 then warns on every returned connection.
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
        for cluster in self.clusters:
            for info in kinds.KINDS:
                self._spawn(self._watch_kind, cluster, info, name=f"watch-{cluster.name}-"
                            f"{info.kind.lower()}")  # fmt: skip
        for i in range(self.repair_threads):
            self._spawn(self._repair_loop, name=f"repair-{i}")
        return self

    def _spawn(self, fn, *args, name: str) -> None:
        thread = threading.Thread(target=fn, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for response in list(self._responses):
            with contextlib.suppress(Exception):  # best effort while stopping
                response.shutdown() if hasattr(response, "shutdown") else response.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def wait_ready(self, timeout: float = 30) -> bool:
        return self.ready.wait(timeout)

    # --- watching ---------------------------------------------------------------------------
    def _enqueue(self, cluster, obj: dict, detected_at: datetime) -> None:
        target = owner_target(obj)
        with self._cond:
            self._pending.setdefault((cluster.pk, target), (cluster, target, detected_at))
            self._cond.notify()

    def _watch_kind(self, cluster, info: KindInfo) -> None:
        """Follow one kind with the shared watch loop (list, watch, resume, relist on 410,
        backoff); what a change means is this watcher's (`_follow`, `_on_list`)."""
        state: dict = {"fingerprints": {}}
        loop = WatchLoop(
            name=f"{cluster.name}/{info.kind}",
            list_fn=lambda: kinds.list_objects(cluster, info),
            watch_fn=lambda version: kinds.watch_stream(cluster, info, version, self.timeout),
            on_list=lambda items, relisted: self._on_list(cluster, state, items, relisted),
            on_event=lambda kind, obj: None,
            stop=self._stop,
            follow_fn=lambda response, version: self._follow(
                cluster, info, response, state["fingerprints"], version
            ),
            responses=self._responses,
        )
        try:
            loop.run()
        finally:
            connection.close()

    def _on_list(self, cluster, state: dict, items: list[dict], relisted: bool) -> None:
        fingerprints = state["fingerprints"]
        fresh = {key_of(i): (fingerprint(i), i) for i in items}
        if relisted:  # whatever changed while we were not looking
            self.relists += 1
            now = timezone.now()
            for key, (fp, obj) in fresh.items():
                old = fingerprints.get(key)
                if old is not None and old[0] != fp:
                    self._enqueue(cluster, obj, now)
            for key in set(fingerprints) - set(fresh):
                kind, ns, name = key
                self._enqueue(cluster, {"kind": kind, "metadata": {
                    "namespace": ns, "name": name, "labels": fingerprints[key][1]}}, now)  # fmt: skip
        state["fingerprints"] = {k: (fp, (o.get("metadata") or {}).get("labels") or {})
                                 for k, (fp, o) in fresh.items()}  # fmt: skip
        if not relisted:
            self._mark_listed()

    def _mark_listed(self) -> None:
        with self._cond:
            self._listed += 1
            if self._listed >= len(self.clusters) * len(kinds.KINDS):
                self.ready.set()

    def _follow(self, cluster, info, response, fingerprints: dict, version: str) -> str:
        """Consume one watch stream; returns the version to resume from ('' to relist)."""
        for event in events(response):
            if self._stop.is_set():
                return version
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    return ""  # too old: relist
                raise RuntimeError(obj.get("message") or "watch error")
            version = (obj.get("metadata") or {}).get("resourceVersion") or version
            if kind == "BOOKMARK":
                continue
            obj.setdefault("kind", info.kind)
            key = key_of(obj)
            labels = (obj.get("metadata") or {}).get("labels") or {}
            if kind == "DELETED":
                fingerprints.pop(key, None)
                self._enqueue(cluster, obj, timezone.now())
                continue
            fp = fingerprint(obj)
            old = fingerprints.get(key)
            fingerprints[key] = (fp, labels)
            if kind == "MODIFIED" and old is not None and old[0] != fp and foreign_write(obj):
                self._enqueue(cluster, obj, timezone.now())
            elif info.kind in status_sync.WORKLOAD_KINDS:
                # A rollout moved (replicas ready, a Job done): the owner's status follows.
                figures = status_sync.workload_figures(obj)
                where = (getattr(cluster, "pk", None), key)
                seen = self._figures.get(where)
                self._figures[where] = figures
                if kind == "MODIFIED" and seen is not None and seen != figures:
                    self._enqueue(cluster, obj, timezone.now())
        return version

    # --- repairing --------------------------------------------------------------------------
    def _repair_loop(self) -> None:
        try:
            while not self._stop.is_set():
                with self._cond:
                    while not self._pending and not self._stop.is_set():
                        self._cond.wait(1)
                    if self._stop.is_set():
                        return
                    key = next(iter(self._pending))
                    cluster, target, detected_at = self._pending.pop(key)
                close_old_connections()
                try:
                    run_target(cluster, target, trigger=Trigger.WATCH, detected_at=detected_at)
                    self.repairs += 1
                except Exception:  # noqa: BLE001 - the next pass will try again
                    log.exception("repair of %s on %s", target.label, cluster.name)
                    time.sleep(0.2)
        finally:
            connection.close()
