"""Garbage collection by ownerReferences: background cascading, foreground deletion
(``foregroundDeletion`` finalizer) and orphaning (``orphan`` finalizer)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..storage import Obj
from .base import Controller


class GarbageCollector(Controller):
    keys = ()

    def __init__(self, cp: Any):
        super().__init__(cp)
        self.waiting: dict[str, tuple[str, str, str]] = {}

    def owner_gone(self, uid: str | None, owner: Obj) -> None:
        if uid and uid in self.cp.owners:
            self.cp.later(0, self._collect, uid)

    def _collect(self, uid: str) -> None:
        for key, ns, name in self.cp.dependents(uid):
            obj = self.store.get(key, ns, name)
            if obj is None:
                continue
            refs = obj["metadata"].get("ownerReferences") or []
            alive = [r for r in refs if r.get("uid") != uid and self._exists(r, ns)]
            res = self.api.registry.resource_for_key(key)
            if res is None:
                continue
            try:
                if alive:
                    self.api.mutate(
                        res,
                        ns,
                        name,
                        lambda o, a=alive: o["metadata"].__setitem__("ownerReferences", a),
                    )
                else:
                    self.api.delete(res, ns, name, propagation="Background")
            except ApiError:
                continue

    def _exists(self, ref: dict[str, Any], ns: str) -> bool:
        uid = ref.get("uid")
        for key in self.store.data:
            if key.endswith("/" + _plural_guess(ref.get("kind", ""))):
                for o in self.store.objects(key):
                    if o["metadata"].get("uid") == uid:
                        return True
        return False

    def watch_finalizers(self, key: str, obj: Obj) -> None:
        md = obj["metadata"]
        if not md.get("deletionTimestamp"):
            return
        fins = md.get("finalizers") or []
        if "foregroundDeletion" in fins or "orphan" in fins:
            target = (key, md.get("namespace", ""), md["name"])
            self.waiting[md["uid"]] = target
            self.enqueue(target)

    def reconcile(self, item: Any) -> None:
        key, ns, name = item
        obj = self.store.get(key, ns, name)
        res = self.api.registry.resource_for_key(key)
        if obj is None or res is None:
            return
        md = obj["metadata"]
        if not md.get("deletionTimestamp"):
            return
        fins = md.get("finalizers") or []
        uid = md["uid"]
        deps = [d for d in self.cp.dependents(uid) if self.store.get(*d) is not None]
        if "orphan" in fins:
            for dkey, dns, dname in deps:
                dres = self.api.registry.resource_for_key(dkey)
                if dres is not None:
                    self.api.mutate(
                        dres,
                        dns,
                        dname,
                        lambda o: o["metadata"].__setitem__(
                            "ownerReferences",
                            [
                                r
                                for r in o["metadata"].get("ownerReferences") or []
                                if r.get("uid") != uid
                            ],
                        ),
                    )
            self.api.remove_finalizer(res, ns, name, "orphan")
            return
        if "foregroundDeletion" in fins:
            if not deps:
                self.api.remove_finalizer(res, ns, name, "foregroundDeletion")
                return
            for dkey, dns, dname in deps:
                dres = self.api.registry.resource_for_key(dkey)
                dobj = self.store.get(dkey, dns, dname)
                if dres is None or dobj is None or dobj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(dres, dns, dname, propagation="Foreground")
                except ApiError:
                    continue

    def dependent_changed(self, obj: Obj) -> None:
        """A dependent changed or vanished: re-check owners that wait in foreground."""
        for ref in obj["metadata"].get("ownerReferences") or []:
            target = self.waiting.get(ref.get("uid"))
            if target is not None:
                self.enqueue(target)


def _plural_guess(kind: str) -> str:
    k = kind.lower()
    if k.endswith("s"):
        return k + "es"
    if k.endswith("y"):
        return k[:-1] + "ies"
    return k + "s"
