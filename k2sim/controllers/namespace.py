"""Namespace deletion: phase Terminating, delete everything inside, then remove the
``kubernetes`` finalizer so the namespace disappears."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..storage import Obj
from .base import Controller


class NamespaceController(Controller):
    keys = ("/namespaces",)

    def __init__(self, cp: Any):
        super().__init__(cp)
        self.terminating: set[str] = set()

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        name = obj["metadata"]["name"]
        if type_ == "DELETED":
            self.terminating.discard(name)
            return
        if obj["metadata"].get("deletionTimestamp"):
            self.terminating.add(name)
            self.enqueue(("", name))

    def reconcile(self, item: Any) -> None:
        _, ns = item
        nsobj = self.store.get("/namespaces", "", ns)
        if nsobj is None or not nsobj["metadata"].get("deletionTimestamp"):
            return
        remaining = 0
        for key in list(self.store.data):
            if key == "/namespaces":
                continue
            objs = list(self.store.objects(key, ns))
            if not objs:
                continue
            res = self.api.registry.resource_for_key(key)
            for o in objs:
                remaining += 1
                if o["metadata"].get("deletionTimestamp"):
                    continue
                if res is None:
                    self.store.remove(key, ns, o["metadata"]["name"])
                    continue
                try:
                    self.api.delete(res, ns, o["metadata"]["name"], propagation="Background")
                except ApiError:
                    continue
        if remaining:
            # Re-check soon: deletions of pods finish asynchronously (kubelet).
            self.enqueue_later(0.2, item)
            return
        self.store.remove("/namespaces", "", ns)
