"""WATCH streams: replay from a resourceVersion out of the bounded history (410 Gone when
it no longer reaches back), then live events, bookmarks and timeouts."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors, tables
from .resources import Resource
from .selectors import parse_field_selector, parse_label_selector
from .storage import Entry, Event, Watcher

if TYPE_CHECKING:
    from .cluster import Cluster

BOOKMARK_INTERVAL = 5.0


async def serve_watch(
    request: web.Request, cluster: Cluster, res: Resource, ns: str | None, as_table: bool
) -> web.StreamResponse:
    q = request.query
    lmatch = parse_label_selector(q.get("labelSelector"))
    fmatch = parse_field_selector(q.get("fieldSelector"))
    has_l, has_f = bool(q.get("labelSelector")), bool(q.get("fieldSelector"))

    def match(obj: dict[str, Any]) -> bool:
        if has_l and not lmatch(obj["metadata"].get("labels") or {}):
            return False
        return not (has_f and not fmatch(obj))

    try:
        timeout = float(q.get("timeoutSeconds") or 1800)
    except ValueError as exc:
        raise errors.bad_request("invalid timeoutSeconds") from exc
    bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
    rv_param = q.get("resourceVersion") or ""
    send_initial = q.get("sendInitialEvents") == "true"
    store = cluster.store
    watcher = Watcher(res.key, ns if res.namespaced else None, match)
    initial: list[Entry] = []
    replay: list[Event] | None = []
    if rv_param in ("", "0") or send_initial:
        initial = [
            e for e in store.entries(res.key, ns if res.namespaced else None) if match(e.obj)
        ]
    else:
        try:
            rv = int(rv_param)
        except ValueError as exc:
            raise errors.bad_request(f"invalid resource version {rv_param!r}") from exc
        replay = store.events_since(res.key, rv)
    store.add_watcher(watcher)
    cluster.watchers.add(watcher)
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    try:
        await resp.prepare(request)
        first_table = [True]

        def enc(type_: str, ev_entry: Entry, ev: Event | None = None) -> bytes:
            if as_table:
                t = tables.table(
                    res.kind,
                    [ev_entry.obj],
                    ev_entry.obj["metadata"].get("resourceVersion", ""),
                    res.printer_columns,
                    with_columns=first_table[0],
                )
                first_table[0] = False
                return json.dumps({"type": type_, "object": t}).encode() + b"\n"
            if ev is not None:
                return ev.encoded(type_)
            return b'{"type":"' + type_.encode() + b'","object":' + ev_entry.raw + b"}\n"

        if replay is None:
            status = errors.gone(
                f"too old resource version: {rv_param} ({store.history_floor + 1})"
            ).status()
            await resp.write(json.dumps({"type": "ERROR", "object": status}).encode() + b"\n")
            return resp
        chunk = [enc("ADDED", e) for e in initial]
        for ev in replay:
            t = watcher.classify(ev)
            if t is not None:
                chunk.append(enc(t, ev.entry, ev))
        if send_initial and bookmarks:
            chunk.append(_bookmark(res, store.rv, initial_end=True))
        if chunk:
            await resp.write(b"".join(chunk))
        deadline = time.monotonic() + timeout
        last_rv = store.rv
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            wait = min(remaining, BOOKMARK_INTERVAL) if bookmarks else remaining
            try:
                item = await asyncio.wait_for(watcher.queue.get(), wait)
            except TimeoutError:
                if bookmarks and time.monotonic() < deadline:
                    await resp.write(_bookmark(res, last_rv))
                continue
            if item is None:
                break
            out = []
            while item is not None:
                type_, ev = item
                last_rv = ev.rv
                out.append(enc(type_, ev.entry, ev))
                if watcher.queue.empty() or len(out) >= 500:
                    break
                item = watcher.queue.get_nowait()
            await resp.write(b"".join(out))
            if item is None:
                break
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        store.drop_watcher(watcher)
        cluster.watchers.discard(watcher)
    return resp


def _bookmark(res: Resource, rv: int, initial_end: bool = False) -> bytes:
    md: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        md["annotations"] = {"k8s.io/initial-events-end": "true"}
    obj = {"kind": res.kind, "apiVersion": res.api_version, "metadata": md}
    return json.dumps({"type": "BOOKMARK", "object": obj}).encode() + b"\n"
