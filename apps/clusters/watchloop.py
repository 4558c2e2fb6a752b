"""One watch loop for every watcher: LIST to learn the objects and a resourceVersion, WATCH
from it, resume from the last version seen after a dropped stream, re-LIST on 410 Gone,
skip bookmarks (they only move the version), back off on errors. The reconciler's watcher
and the event watcher (apps/events) both follow clusters with it; what an object means is
theirs (`on_list`, `on_event`)."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from apps.clusters.gateway import GatewayError

log = logging.getLogger(__name__)


def events(response) -> Iterator[dict]:
    """Newline-delimited JSON events of a raw watch response."""
    buffer = b""
    for chunk in response.stream(65536, decode_content=True):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line.strip():
                yield json.loads(line)
    if buffer.strip():
        yield json.loads(buffer)


@dataclass
class WatchLoop:
    """Follow one resource of one cluster until `stop` is set.

    list_fn() -> (items, version); watch_fn(version) -> raw response; on_list(items,
    relisted) after every LIST; on_event(type, obj) for ADDED/MODIFIED/DELETED;
    on_version(version) whenever the version moves (to persist a cursor). `version` may
    start from a stored cursor: the loop then WATCHes at once and LISTs only on 410.
    """

    name: str
    list_fn: Callable[[], tuple[list[dict], str]]
    watch_fn: Callable[[str], object]
    on_list: Callable[[list[dict], bool], None]
    on_event: Callable[[str, dict], None]
    stop: threading.Event
    on_version: Callable[[str], None] = lambda version: None
    on_batch_end: Callable[[], None] = lambda: None
    # A watcher with its own reading of a stream: (response, version) -> version ('' = relist).
    follow_fn: Callable[[object, str], str] | None = None
    version: str = ""
    responses: set = field(default_factory=set)
    relists: int = 0
    errors: int = 0
    listed: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        pause = 0.5
        first = True
        while not self.stop.is_set():
            try:
                if not self.version:
                    items, self.version = self.list_fn()
                    if not first:
                        self.relists += 1
                    self.on_list(items, not first)
                    self.on_version(self.version)
                first = False
                self.listed.set()
                response = self.watch_fn(self.version)
                self.responses.add(response)
                try:
                    follow = self.follow_fn
                    self.version = (follow(response, self.version) if follow
                                    else self.follow(response))  # fmt: skip
                finally:
                    self.responses.discard(response)
                    with contextlib.suppress(Exception):
                        response.release_conn()  # type: ignore[attr-defined]
                self.on_version(self.version)
                pause = 0.5
            except GatewayError as exc:
                if self.stop.is_set():
                    return
                self.errors += 1
                log.warning("watch %s: %s", self.name, exc)
                self.stop.wait(pause)
                pause = min(pause * 2, 10)
            except Exception as exc:  # noqa: BLE001 - a broken stream: resume from version
                if self.stop.is_set():
                    return
                self.errors += 1
                log.info("watch %s interrupted: %s", self.name, exc)
                self.stop.wait(pause)
                pause = min(pause * 2, 10)

    def follow(self, response) -> str:
        """Consume one watch stream; the version to resume from ('' to relist)."""
        version = self.version
        for event in events(response):
            if self.stop.is_set():
                break
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    self.on_batch_end()
                    return ""  # too old: relist
                raise RuntimeError(obj.get("message") or "watch error")
            version = (obj.get("metadata") or {}).get("resourceVersion") or version
            self.version = version
            if kind == "BOOKMARK":
                self.on_version(version)
                continue
            self.on_event(kind, obj)
        self.on_batch_end()
        return version

    def close(self) -> None:
        for response in list(self.responses):
            with contextlib.suppress(Exception):  # best effort while stopping
                response.shutdown() if hasattr(response, "shutdown") else response.close()
