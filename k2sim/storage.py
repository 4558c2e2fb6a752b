"""In-memory object storage for one cluster: a monotonic resourceVersion, a bounded event
history for watch resumption, and fan-out to watchers and controllers.

Everything runs on the cluster's asyncio loop thread, so no locks are needed. Stored dicts
are never mutated in place; writers replace them, which lets readers share them freely and
lets each object's JSON encoding be cached for fast LISTs.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

Obj = dict[str, Any]
Listener = Callable[[str, str, Obj, Obj | None], None]


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def clone(obj: Obj) -> Obj:
    """Deep copy via JSON: faster than copy.deepcopy for plain API objects."""
    return json.loads(json.dumps(obj))


class Entry:
    __slots__ = ("obj", "_raw")

    def __init__(self, obj: Obj):
        self.obj = obj
        self._raw: bytes | None = None

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = dumps(self.obj)
        return self._raw


class Event:
    __slots__ = ("type", "key", "entry", "rv", "old", "_raw")

    def __init__(self, type_: str, key: str, entry: Entry, rv: int, old: Obj | None):
        self.type = type_
        self.key = key
        self.entry = entry
        self.rv = rv
        self.old = old
        self._raw: bytes | None = None

    def encoded(self, type_: str | None = None) -> bytes:
        if type_ is not None and type_ != self.type:
            return b'{"type":"' + type_.encode() + b'","object":' + self.entry.raw + b"}\n"
        if self._raw is None:
            self._raw = b'{"type":"' + self.type.encode() + b'","object":' + self.entry.raw + b"}\n"
        return self._raw


class Watcher:
    """One watch stream's mailbox, with its filter; the HTTP layer drains the queue."""

    def __init__(
        self,
        key: str,
        namespace: str | None,
        match: Callable[[Obj], bool],
    ):
        self.key = key
        self.namespace = namespace
        self.match = match
        self.queue: asyncio.Queue[tuple[str, Event] | None] = asyncio.Queue()

    def classify(self, ev: Event) -> str | None:
        """The event type this watcher should see (objects leaving the selector are
        DELETED, entering it ADDED, as the watch cache reports), or None."""
        obj = ev.entry.obj
        if self.namespace is not None and obj["metadata"].get("namespace") != self.namespace:
            return None
        now = self.match(obj)
        if ev.type == "MODIFIED" and ev.old is not None:
            before = self.match(ev.old)
            if before and not now:
                return "DELETED"
            if now and not before:
                return "ADDED"
            return "MODIFIED" if now else None
        return ev.type if now else None

    def offer(self, ev: Event) -> None:
        t = self.classify(ev)
        if t is not None:
            self.queue.put_nowait((t, ev))


class Store:
    def __init__(self, history: int = 20000, start_rv: int = 1000):
        self.rv = start_rv
        # key -> namespace ("" for cluster-scoped) -> name -> Entry: namespace-scoped reads
        # (what controllers do on every pod event) cost O(objects in that namespace).
        self.data: dict[str, dict[str, dict[str, Entry]]] = {}
        self.history: deque[Event] = deque()
        self.history_max = history
        self.history_floor = start_rv  # watches from below this get 410 Gone
        self.watchers: dict[str, set[Watcher]] = {}
        self.listeners: list[Listener] = []

    # -- reads -------------------------------------------------------------------------
    def get(self, key: str, namespace: str, name: str) -> Obj | None:
        e = self.data.get(key, {}).get(namespace, {}).get(name)
        return e.obj if e else None

    def entries(self, key: str, namespace: str | None = None) -> Iterator[Entry]:
        bucket = self.data.get(key, {})
        if namespace is None:
            for names in bucket.values():
                yield from names.values()
        else:
            yield from bucket.get(namespace, {}).values()

    def objects(self, key: str, namespace: str | None = None) -> list[Obj]:
        return [e.obj for e in self.entries(key, namespace)]

    def count(self, key: str) -> int:
        return sum(len(names) for names in self.data.get(key, {}).values())

    # -- writes ------------------------------------------------------------------------
    def next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def put(self, key: str, obj: Obj, old: Obj | None = None) -> Obj:
        """Store ``obj`` (already stamped) and notify; ADDED if new, else MODIFIED."""
        rv = self.next_rv()
        obj["metadata"]["resourceVersion"] = str(rv)
        md = obj["metadata"]
        names = self.data.setdefault(key, {}).setdefault(md.get("namespace", ""), {})
        existed = md["name"] in names
        entry = Entry(obj)
        names[md["name"]] = entry
        self._emit(Event("MODIFIED" if existed else "ADDED", key, entry, rv, old))
        return obj

    def remove(self, key: str, namespace: str, name: str) -> Obj | None:
        bucket = self.data.get(key, {})
        names = bucket.get(namespace, {})
        entry = names.pop(name, None)
        if entry is None:
            return None
        if not names:
            bucket.pop(namespace, None)
        rv = self.next_rv()
        obj = dict(entry.obj)
        obj["metadata"] = dict(obj["metadata"], resourceVersion=str(rv))
        self._emit(Event("DELETED", key, Entry(obj), rv, entry.obj))
        return obj

    def load(self, key: str, obj: Obj) -> None:
        """Restore from snapshot without events."""
        md = obj["metadata"]
        self.data.setdefault(key, {}).setdefault(md.get("namespace", ""), {})[md["name"]] = Entry(
            obj
        )

    def _emit(self, ev: Event) -> None:
        self.history.append(ev)
        if len(self.history) > self.history_max:
            old = self.history.popleft()
            self.history_floor = old.rv
        for w in self.watchers.get(ev.key, ()):
            w.offer(ev)
        old_obj = ev.old
        for fn in self.listeners:
            fn(ev.key, ev.type, ev.entry.obj, old_obj)

    # -- watch -------------------------------------------------------------------------
    def add_watcher(self, w: Watcher) -> None:
        self.watchers.setdefault(w.key, set()).add(w)

    def drop_watcher(self, w: Watcher) -> None:
        self.watchers.get(w.key, set()).discard(w)

    def events_since(self, key: str, rv: int) -> list[Event] | None:
        """Events for ``key`` after ``rv``, or None if the history no longer reaches back."""
        if rv < self.history_floor:
            return None
        return [ev for ev in self.history if ev.rv > rv and ev.key == key]

    def watcher_count(self) -> int:
        return sum(len(s) for s in self.watchers.values())
