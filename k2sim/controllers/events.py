"""Event recording as client-go's recorder does it: repeats of the same event (object,
reason, message, source) bump ``count`` and ``lastTimestamp`` instead of creating new
objects. Events are written in core/v1 and mirrored to events.k8s.io/v1."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..apply import now_iso
from ..storage import Obj

if TYPE_CHECKING:
    from . import ControlPlane

DEDUP_WINDOW = 600.0
EVENT_TTL = 3600.0  # the apiserver's default --event-ttl
SWEEP_EVERY = 60.0


class EventRecorder:
    def __init__(self, cp: ControlPlane):
        self.cp = cp
        self.enabled = True
        self.seen: dict[tuple[Any, ...], tuple[str, str, float]] = {}

    def record(
        self,
        obj: Obj,
        type_: str,
        reason: str,
        message: str,
        component: str = "kubelet",
        host: str = "",
    ) -> None:
        if not self.enabled:
            return
        api = self.cp.cluster.api
        md = obj["metadata"]
        ns = md.get("namespace") or "default"
        key = (md.get("uid"), reason, message, type_, component)
        now = now_iso()
        hit = self.seen.get(key)
        core = api.res("", "events")
        if hit is not None and time.monotonic() - hit[2] < DEDUP_WINDOW:
            ev_ns, ev_name, _ = hit

            def bump(e: Obj) -> None:
                e["count"] = e.get("count", 1) + 1
                e["lastTimestamp"] = now

            if api.mutate(core, ev_ns, ev_name, bump) is not None:
                self.seen[key] = (ev_ns, ev_name, time.monotonic())
                self._mirror(ev_ns, ev_name)
                return
        # Like client-go: <object>.<unix nanos in hex>, so name order is creation order.
        name = f"{md['name']}.{time.time_ns():x}"[:253]
        while api.store.get("/events", ns, name) is not None:
            name = f"{md['name']}.{time.time_ns():x}"[:253]
        involved = {
            "kind": obj.get("kind"),
            "namespace": md.get("namespace"),
            "name": md["name"],
            "uid": md.get("uid"),
            "apiVersion": obj.get("apiVersion"),
            "resourceVersion": md.get("resourceVersion"),
        }
        if obj.get("kind") == "Pod" and reason in (
            "Pulled",
            "Created",
            "Started",
            "Killing",
            "BackOff",
        ):
            c = (obj.get("spec") or {}).get("containers") or [{}]
            involved["fieldPath"] = f"spec.containers{{{c[0].get('name', '')}}}"
        ev = {
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": {k: v for k, v in involved.items() if v is not None},
            "reason": reason,
            "message": message,
            "source": {"component": component, **({"host": host} if host else {})},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host,
        }
        ev = {k: v for k, v in ev.items() if v is not None}
        try:
            api.create(core, ns, ev, fresh=True)
        except Exception:  # namespace terminating or gone: the real recorder drops it too
            return
        self.seen[key] = (ns, name, time.monotonic())
        if len(self.seen) > 50000:
            self.seen.clear()
        self._mirror(ns, name)

    def start(self) -> None:
        self.cp.later(SWEEP_EVERY, self._periodic)

    def _periodic(self) -> None:
        self.sweep()
        self.cp.later(SWEEP_EVERY, self._periodic)

    def sweep(self, ttl: float = EVENT_TTL) -> int:
        """Drop events whose last occurrence is older than the TTL, as etcd leases do."""
        cutoff = datetime.now(UTC) - timedelta(seconds=ttl)
        stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
        store = self.cp.cluster.store
        old = [
            (e["metadata"]["namespace"], e["metadata"]["name"])
            for e in store.objects("/events")
            if (e.get("lastTimestamp") or e.get("firstTimestamp") or "") < stamp
        ]
        for ns, name in old:
            store.remove("/events", ns, name)
            store.remove("events.k8s.io/events", ns, name)
        return len(old)

    def _mirror(self, ns: str, name: str) -> None:
        """Keep an events.k8s.io/v1 view of the same event."""
        api = self.cp.cluster.api
        core = api.store.get("/events", ns, name)
        if core is None:
            return
        res = api.res("events.k8s.io", "events")
        inv = core.get("involvedObject", {})
        body = {
            "metadata": {"name": name, "namespace": ns},
            "eventTime": core["firstTimestamp"].replace("Z", ".000000Z"),
            "reason": core["reason"],
            "note": core["message"],
            "type": core["type"],
            "regarding": inv,
            "action": core["reason"],
            "reportingController": core["source"]["component"],
            "reportingInstance": core.get("reportingInstance") or core["source"]["component"],
            "deprecatedSource": core["source"],
            "deprecatedFirstTimestamp": core["firstTimestamp"],
            "deprecatedLastTimestamp": core["lastTimestamp"],
            "deprecatedCount": core.get("count", 1),
        }
        if core.get("count", 1) > 1:
            body["series"] = {
                "count": core["count"],
                "lastObservedTime": core["lastTimestamp"].replace("Z", ".000000Z"),
            }
        try:
            if api.find(res, ns, name) is None:
                api.create(res, ns, body, fresh=True)
            else:
                api.mutate(
                    res,
                    ns,
                    name,
                    lambda e: e.update({k: v for k, v in body.items() if k != "metadata"}),
                )
        except Exception:
            return
