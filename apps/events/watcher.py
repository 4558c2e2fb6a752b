"""The event watcher: per cluster, under a Redis leader lease, follow core/v1 Events and
Pods of all namespaces with the shared watch loop (apps/clusters/watchloop.py), turn them
into occurrences (apps/events/fingerprint.py) and write them in batches; after each batch
the alert rules look at the rows that grew. Cursors (resourceVersions) are stored after
the batch that contains them, so a restarted watcher resumes where the stored rows end;
EventSource makes anything seen twice count once."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from apps.clusters.watchloop import WatchLoop
from apps.events import alerts, cluster_ops, ingest, metrics
from apps.events.fingerprint import from_event, from_pod
from apps.events.models import WatchCursor
from apps.operations.locks import OwnedLock

log = logging.getLogger(__name__)
RESOURCES = ("events", "pods")


_resolved_at = [0.0]
_resolve_lock = threading.Lock()


def _resolve_turn() -> bool:
    """One writer of the process looks for quiet alerts each second, not one per cluster."""
    with _resolve_lock:
        if time.monotonic() - _resolved_at[0] < 1:
            return False
        _resolved_at[0] = time.monotonic()
        return True


class ClusterWatch:
    """One cluster: the lease, two watch loops and the batch writer."""

    def __init__(self, cluster, stop: threading.Event, *, timeout: int):
        self.cluster = cluster
        self.stop = stop
        self.timeout = timeout
        self.inbox: queue.Queue = queue.Queue(maxsize=settings.K2_EVENTS_QUEUE_SIZE)
        self.versions: dict[str, str] = {}
        self.loops: dict[str, WatchLoop] = {}
        # The lock that dies with its owner (apps/operations/locks.py): renewed by the
        # process heartbeat while held, taken over at once when its process is gone.
        self.lease = OwnedLock(f"k2:lease:events-watch:{cluster.pk}", max_seconds=3600)
        self.leading = threading.Event()
        self.written = 0
        self.batches = 0
        self.notified = 0
        self.threads: list[threading.Thread] = []

    # --- receiving --------------------------------------------------------------------------
    def _put(self, occurrences, resource: str, version: str | None = None) -> None:
        self.inbox.put((time.monotonic(), occurrences, resource, version))

    def _on_list(self, resource: str):
        def handle(items: list[dict], relisted: bool) -> None:
            now = timezone.now()
            occs = []
            for item in items:
                occs.extend(self._convert(resource, item, now))
            self._put(occs, resource)

        return handle

    def _on_event(self, resource: str):
        def handle(kind: str, obj: dict) -> None:
            metrics.RECEIVED.labels(self.cluster.name, resource).inc()
            if kind == "DELETED":
                return
            self._put(self._convert(resource, obj, timezone.now()), resource)

        return handle

    def _convert(self, resource: str, obj: dict, now) -> list:
        if resource == "pods":
            return from_pod(self.cluster.name, obj, now)
        occ = from_event(self.cluster.name, obj, now)
        if occ is None:
            metrics.MALFORMED.labels(self.cluster.name).inc()
            return []
        return [occ]

    def _on_version(self, resource: str):
        return lambda version: self._put([], resource, version)

    # --- threads ----------------------------------------------------------------------------
    def start(self) -> ClusterWatch:
        self._spawn(self._lead, f"events-lease-{self.cluster.name}")
        return self

    def _spawn(self, fn, name: str, *args) -> None:
        thread = threading.Thread(target=fn, args=args, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _lead(self) -> None:
        """Wait for the lease, then follow the cluster while renewing it; a lost lease stops
        the loops (the other replica takes over from the stored cursors)."""
        try:
            while not self.stop.is_set():
                try:
                    held = self._hold()
                except Exception as exc:  # noqa: BLE001 - Redis away: try again
                    log.warning("events lease %s: %s", self.cluster.name, exc)
                    held = False
                if held and not self.leading.is_set():
                    self._begin()
                elif not held and self.leading.is_set():
                    log.warning("events lease of %s lost", self.cluster.name)
                    self._end()
                self.stop.wait(settings.K2_EVENTS_LEASE_SECONDS / 3)
        finally:
            self._end()
            with contextlib.suppress(Exception):  # best effort while stopping
                self.lease.release()
            connection.close()

    def _hold(self) -> bool:
        """Keep the lease if ours (pushing its maximum hold out), else try to take it."""
        if self.leading.is_set():
            self.lease.extend()
            return self.lease.holder() == self.lease.owner
        return self.lease.acquire()

    def _begin(self) -> None:
        self.leading.set()
        self.loop_stop = threading.Event()
        cursors = {c.resource: c.version for c in WatchCursor.objects.filter(cluster=self.cluster)}
        for resource in RESOURCES:
            loop = WatchLoop(
                name=f"{self.cluster.name}/{resource}",
                list_fn=lambda r=resource: cluster_ops.list_all(self.cluster, r),
                watch_fn=lambda v, r=resource: cluster_ops.watch(self.cluster, r, v, self.timeout),
                on_list=self._on_list(resource), on_event=self._on_event(resource),
                on_version=self._on_version(resource), stop=self.loop_stop,
                version=cursors.get(resource, ""),
            )  # fmt: skip
            self.loops[resource] = loop
            self._spawn(self._run_loop, f"events-{self.cluster.name}-{resource}", loop)
        self._spawn(self._writer, f"events-writer-{self.cluster.name}")

    def _run_loop(self, loop: WatchLoop) -> None:
        try:
            loop.run()
        finally:
            connection.close()

    def _end(self) -> None:
        if not self.leading.is_set():
            return
        self.leading.clear()
        self.loop_stop.set()
        for loop in self.loops.values():
            loop.close()

    def ready(self) -> bool:
        return all(loop.listed.is_set() for loop in self.loops.values()) and len(self.loops) == 2

    # --- writing ----------------------------------------------------------------------------
    def _drain(self) -> list:
        items = []
        try:
            items.append(self.inbox.get(timeout=0.2))
        except queue.Empty:
            return items
        deadline = time.monotonic() + settings.K2_EVENTS_FLUSH_SECONDS
        size = 0
        while size < settings.K2_EVENTS_BATCH_SIZE:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                item = self.inbox.get(timeout=left)
            except queue.Empty:
                break
            items.append(item)
            size += len(item[1])
        return items

    def _writer(self) -> None:
        last_resolve = 0.0
        try:
            while self.leading.is_set() or not self.inbox.empty():
                items = self._drain()
                if time.monotonic() - last_resolve > 1 and _resolve_turn():
                    last_resolve = time.monotonic()
                    self._safely(alerts.resolve_quiet)
                if not items:
                    if not self.leading.is_set():
                        return
                    continue
                self._write(items)
        finally:
            connection.close()

    def _safely(self, fn, *args):
        close_old_connections()
        try:
            return fn(*args)
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("events %s: %s", self.cluster.name, getattr(fn, "__name__", fn))
            return None

    def _write(self, items: list) -> None:
        started = time.monotonic()
        occs = [o for _, batch, _, _ in items for o in batch]
        versions = {r: v for _, _, r, v in items if v}
        for attempt in range(5):
            close_old_connections()
            try:
                rows = ingest.write_batch(self.cluster, occs)
                self.notified += alerts.evaluate(self.cluster, rows)
                for resource, version in versions.items():
                    WatchCursor.objects.update_or_create(cluster=self.cluster, resource=resource,
                                                         defaults={"version": version})  # fmt: skip
                break
            except Exception:  # noqa: BLE001 - the database blinked: try the batch again
                log.exception("events batch of %s (attempt %d)", self.cluster.name, attempt + 1)
                time.sleep(0.2 * (attempt + 1))
        self.written += len(occs)
        self.batches += 1
        now = time.monotonic()
        metrics.LAG.labels(self.cluster.name).set(now - min(t for t, _, _, _ in items))
        metrics.BATCH_SECONDS.observe(now - started)


class EventWatcher:
    """Every cluster given; `start()` returns at once, `stop()` ends the threads."""

    def __init__(self, clusters, *, timeout: int | None = None):
        self.stop_event = threading.Event()
        self.timeout = timeout or settings.K2_EVENTS_WATCH_TIMEOUT
        self.watches = [ClusterWatch(c, self.stop_event, timeout=self.timeout) for c in clusters]

    def start(self) -> EventWatcher:
        import logging as _logging

        _logging.getLogger("urllib3.connectionpool").setLevel(_logging.ERROR)
        for watch in self.watches:
            watch.start()
        return self

    def follow_new(self, clusters) -> list:
        """Start following clusters registered since (the command looks every 30 s)."""
        known = {w.cluster.pk for w in self.watches}
        added = [ClusterWatch(c, self.stop_event, timeout=self.timeout).start()
                 for c in clusters if c.pk not in known]  # fmt: skip
        self.watches.extend(added)
        return added

    def wait_ready(self, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(w.ready() for w in self.watches):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        self.stop_event.set()
        for watch in self.watches:
            watch._end()
        for watch in self.watches:
            for thread in watch.threads:
                thread.join(timeout=10)

    def idle(self) -> bool:
        return all(w.inbox.empty() for w in self.watches)
