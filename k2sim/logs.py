"""Container logs: deterministic generated lines with timestamps (one per ``log_interval``
since the container started, or at the rate of the pod's annotation
``k2sim.io/log-lines-per-second`` — a chatty pod), tailLines/sinceSeconds/sinceTime/
limitBytes/previous, and ``follow`` streaming until the container stops or the client goes
away."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors

if TYPE_CHECKING:
    from .cluster import Cluster

RATE_ANNOTATION = "k2sim.io/log-lines-per-second"
FOLLOW_BATCH = 2000  # lines written at once when a chatty pod is behind schedule
PATHS = ("/api/items", "/api/orders", "/healthz", "/api/users", "/metrics")


def _parse(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _parse_any(ts: str) -> datetime:
    """An RFC 3339 time as clients send sinceTime (fractions and offsets allowed)."""
    try:
        t = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError as exc:
        raise errors.bad_request(f'invalid sinceTime "{ts}": {exc}') from exc
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _rfc3339nano(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def line(pod: str, container: str, i: int, t: datetime) -> str:
    path = PATHS[i % len(PATHS)]
    status = 500 if i % 53 == 52 else 200
    level = "ERROR" if status == 500 else "INFO"
    return (
        f"{t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z {level} [{container}] {pod} "
        f"request id={i} method=GET path={path} status={status} duration_ms={(i * 37) % 250 + 3}"
    )


class Logs:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.streams: set[asyncio.Event] = set()

    def interval(self, pod: dict[str, Any]) -> float:
        rate = ((pod.get("metadata") or {}).get("annotations") or {}).get(RATE_ANNOTATION)
        try:
            if rate and float(rate) > 0:
                return 1.0 / float(rate)
        except ValueError:
            pass
        return self.cluster.cfg.log_interval

    def _container(self, pod: dict[str, Any], name: str | None) -> str:
        cs = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        if not name:
            if len(cs) != 1:
                raise errors.bad_request(
                    f"a container name must be specified for pod {pod['metadata']['name']}, "
                    f"choose one of: [{' '.join(cs)}]"
                )
            return cs[0]
        if name not in cs:
            raise errors.bad_request(
                f"container {name} is not valid for pod {pod['metadata']['name']}"
            )
        return name

    def _status(self, pod: dict[str, Any], container: str) -> dict[str, Any]:
        for s in (pod.get("status") or {}).get("containerStatuses") or []:
            if s["name"] == container:
                return s
        raise errors.bad_request(
            f'container "{container}" in pod "{pod["metadata"]["name"]}" is waiting to start: '
            "ContainerCreating"
        )

    def lines(
        self,
        pod: dict[str, Any],
        container: str,
        previous: bool = False,
        now: datetime | None = None,
    ) -> tuple[list[tuple[datetime, str]], int, datetime]:
        st = self._status(pod, container)
        name = pod["metadata"]["name"]
        interval = self.interval(pod)
        now = now or datetime.now(UTC)
        if previous:
            term = (st.get("lastState") or {}).get("terminated")
            if not term:
                raise errors.bad_request(
                    f'previous terminated container "{container}" in pod "{name}" not found'
                )
            start, end = _parse(term["startedAt"]), _parse(term["finishedAt"])
            n = max(1, int((end - start).total_seconds() / interval))
            out = [
                (
                    start + timedelta(seconds=i * interval),
                    line(name, container, i, start + timedelta(seconds=i * interval)),
                )
                for i in range(min(n, 1000))
            ]
            if term.get("reason") == "OOMKilled":
                out.append(
                    (
                        end,
                        f"{end.strftime('%Y-%m-%dT%H:%M:%S')}.000Z ERROR [{container}] java.lang.OutOfMemoryError: Java heap space",
                    )
                )
            return out, n, end
        state = st.get("state") or {}
        info = state.get("running") or state.get("terminated")
        if not info:
            raise errors.bad_request(
                f'container "{container}" in pod "{name}" is waiting to start: '
                f"{(state.get('waiting') or {}).get('reason', 'ContainerCreating')}"
            )
        start = _parse(info["startedAt"])
        end = _parse(info["finishedAt"]) if "finishedAt" in info else now
        n = max(1, math.floor((end - start).total_seconds() / interval) + 1)
        first = max(0, n - 5000)
        out = []
        for i in range(first, n):
            t = start + timedelta(seconds=i * interval)
            out.append((t, line(name, container, i, t)))
        return out, n, start

    async def serve(self, request: web.Request, ns: str, name: str) -> web.StreamResponse:
        api = self.cluster.api
        q = request.query
        pods = api.res("", "pods")
        pod = api.get(pods, ns, name)
        container = self._container(pod, q.get("container"))
        previous = q.get("previous") == "true"
        stamps = q.get("timestamps") == "true"
        lines, n, start = self.lines(pod, container, previous)
        if q.get("sinceSeconds"):
            cutoff = datetime.now(UTC) - timedelta(seconds=int(q["sinceSeconds"]))
            lines = [x for x in lines if x[0] >= cutoff]
        elif q.get("sinceTime"):
            cutoff = _parse_any(q["sinceTime"])
            lines = [x for x in lines if x[0] >= cutoff]
        if q.get("tailLines"):
            tail = int(q["tailLines"])
            lines = lines[-tail:] if tail > 0 else []

        def fmt(t: datetime, text: str) -> str:
            return f"{_rfc3339nano(t)} {text}\n" if stamps else text + "\n"

        body = "".join(fmt(t, s) for t, s in lines).encode()
        if q.get("limitBytes"):
            body = body[: int(q["limitBytes"])]
        if q.get("follow") != "true" or previous:
            return web.Response(body=body, content_type="text/plain")
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(body)
        stop = asyncio.Event()
        self.streams.add(stop)
        interval = self.interval(pod)
        uid = pod["metadata"]["uid"]
        i = n
        try:
            while not stop.is_set():
                due = start + timedelta(seconds=i * interval)
                wait = (due - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    try:
                        await asyncio.wait_for(stop.wait(), wait)
                        break
                    except TimeoutError:
                        pass
                cur = api.find(pods, ns, name)
                if cur is None or cur["metadata"]["uid"] != uid:
                    break
                st = next(
                    (
                        s
                        for s in (cur.get("status") or {}).get("containerStatuses") or []
                        if s["name"] == container
                    ),
                    {},
                )
                if "running" not in (st.get("state") or {}):
                    break
                # Every line due by now in one write (a chatty pod is many lines a tick).
                now = datetime.now(UTC)
                chunk = []
                while len(chunk) < FOLLOW_BATCH:
                    due = start + timedelta(seconds=i * interval)
                    if due > now and chunk:
                        break
                    chunk.append(fmt(due, line(name, container, i, due)))
                    i += 1
                await resp.write("".join(chunk).encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.streams.discard(stop)
        return resp

    def stop_all(self) -> None:
        for s in list(self.streams):
            s.set()
