"""Controller plumbing: event-driven work queues on the cluster's asyncio loop."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..storage import Obj

if TYPE_CHECKING:
    from . import ControlPlane

log = logging.getLogger("k2sim.controllers")
BATCH = 100


class Controller:
    """Subclasses declare the storage keys they watch and implement ``reconcile(item)``."""

    keys: tuple[str, ...] = ()

    def __init__(self, cp: ControlPlane):
        self.cp = cp
        self.cluster = cp.cluster
        self.api = cp.cluster.api
        self.store = cp.cluster.store
        self.dirty: dict[Hashable, None] = {}
        self._scheduled = False

    def R(self, group: str, plural: str) -> Any:  # noqa: N802 - short accessor reads well
        return self.api.res(group, plural)

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        self.enqueue((md.get("namespace", ""), md["name"]))

    def enqueue_controller_of(self, obj: Obj, kind: str) -> None:
        """Queue the object of `kind` that controls `obj` (an owned pod or ReplicaSet)."""
        md = obj["metadata"]
        for ref in md.get("ownerReferences") or []:
            if ref.get("kind") == kind and ref.get("controller"):
                self.enqueue((md.get("namespace", ""), ref["name"]))

    def live(self, group: str, plural: str, ns: str, name: str) -> Obj | None:
        """The stored object, or None when it is gone or being deleted (nothing to do)."""
        obj = self.api.find(self.R(group, plural), ns, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return None
        return obj

    def enqueue(self, item: Hashable) -> None:
        self.dirty[item] = None
        if not self._scheduled and self.cp.loop is not None:
            self._scheduled = True
            self.cp.loop.call_soon(self._drain)

    def enqueue_later(self, delay: float, item: Hashable) -> None:
        self.cp.later(delay, self.enqueue, item)

    def _drain(self) -> None:
        """Work off a bounded batch, then yield to the loop so API requests and watch
        streams stay responsive while thousands of objects are being reconciled."""
        self._scheduled = False
        for _ in range(min(BATCH, len(self.dirty))):
            it = next(iter(self.dirty))
            del self.dirty[it]
            try:
                self.reconcile(it)
            except ApiError as e:
                log.debug("%s %s: %s", type(self).__name__, it, e.message)
            except Exception:
                log.exception("%s failed on %s", type(self).__name__, it)
        if self.dirty and not self._scheduled and self.cp.loop is not None:
            self._scheduled = True
            self.cp.loop.call_soon(self._drain)

    def reconcile(self, item: Any) -> None:
        raise NotImplementedError

    def resync(self) -> None:
        """Enqueue everything once at start (and after a snapshot restore)."""
        for key in self.keys[:1]:
            for obj in self.store.objects(key):
                md = obj["metadata"]
                self.enqueue((md.get("namespace", ""), md["name"]))

    def start(self) -> None:
        self.resync()
        if self.dirty and not self._scheduled and self.cp.loop is not None:
            self._scheduled = True
            self.cp.loop.call_soon(self._drain)


def owner_ref(obj: Obj, block: bool = True) -> dict[str, Any]:
    md = obj["metadata"]
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": md["name"],
        "uid": md["uid"],
        "controller": True,
        "blockOwnerDeletion": block,
    }


def controller_uid(obj: Obj) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def pod_ready(pod: Obj) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def pod_active(pod: Obj) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get(
        "phase"
    ) not in ("Succeeded", "Failed")
