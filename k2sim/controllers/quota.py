"""ResourceQuota admission (403 "exceeded quota") with status.used kept current, and
LimitRange defaults for containers that declare no resources."""

from __future__ import annotations

import copy
from typing import Any

from .. import errors, quantity
from ..resources import Resource
from ..storage import Obj
from .base import Controller, pod_active

COMPUTE = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory")
COUNTED = {
    "pods": "/pods",
    "services": "/services",
    "configmaps": "/configmaps",
    "secrets": "/secrets",
    "persistentvolumeclaims": "/persistentvolumeclaims",
    "replicationcontrollers": "/replicationcontrollers",
    "resourcequotas": "/resourcequotas",
}


def pod_usage(pod: Obj) -> dict[str, float]:
    u = dict.fromkeys(COMPUTE, 0.0)
    for c in (pod.get("spec") or {}).get("containers") or []:
        r = c.get("resources") or {}
        req, lim = r.get("requests") or {}, r.get("limits") or {}
        for res in ("cpu", "memory"):
            rq = quantity.parse(req.get(res, lim.get(res, 0)))
            u[f"requests.{res}"] += rq
            u[res] += rq
            u[f"limits.{res}"] += quantity.parse(lim.get(res, 0))
    return u


def _count_key(name: str) -> str | None:
    if name in COUNTED:
        return COUNTED[name]
    if name.startswith("count/"):
        res, _, group = name[6:].partition(".")
        return f"{group}/{res}"
    return None


class QuotaController(Controller):
    keys = ("/resourcequotas", "/pods", "/services", "/configmaps", "/secrets")

    def admission_hooks(self) -> list[Any]:
        return [self.admit_limitrange, self.admit_quota]

    def admit_limitrange(self, op: str, res: Resource, obj: Obj, old: Obj | None) -> None:
        if res.kind != "Pod" or op != "create":
            return
        ns = obj["metadata"]["namespace"]
        for lr in self.store.objects("/limitranges", ns):
            for lim in (lr.get("spec") or {}).get("limits") or []:
                if lim.get("type") != "Container":
                    continue
                for c in obj["spec"].get("containers") or []:
                    r = c.setdefault("resources", {})
                    for field, src in (("limits", "default"), ("requests", "defaultRequest")):
                        for k, v in (lim.get(src) or {}).items():
                            r.setdefault(field, {}).setdefault(k, v)
                    for k, v in (r.get("limits") or {}).items():
                        if "defaultRequest" not in lim or k not in lim["defaultRequest"]:
                            r.setdefault("requests", {}).setdefault(k, v)
        from ..defaults import qos_class

        obj.setdefault("status", {})["qosClass"] = qos_class(obj["spec"])

    def admit_quota(self, op: str, res: Resource, obj: Obj, old: Obj | None) -> None:
        if op != "create":
            return
        ns = obj["metadata"].get("namespace")
        if not ns:
            return
        quotas = self.store.objects("/resourcequotas", ns)
        if not quotas:
            return
        add: dict[str, float] = {}
        if res.kind == "Pod":
            add.update(pod_usage(obj))
            add["pods"] = 1
        add[f"count/{res.plural}{'.' + res.group if res.group else ''}"] = 1
        if res.plural in COUNTED:
            add[res.plural] = 1
        for q in quotas:
            hard = (q.get("spec") or {}).get("hard") or {}
            used = self._used(ns, hard)
            over, missing = [], []
            for k, limit in hard.items():
                if k not in add:
                    continue
                if res.kind == "Pod" and k in COMPUTE and add[k] == 0:
                    missing.append(k)
                    continue
                if used.get(k, 0) + add[k] > quantity.parse(limit):
                    over.append(k)
            qname = q["metadata"]["name"]
            name = obj["metadata"].get("name") or obj["metadata"].get("generateName", "")
            if missing:
                raise errors.forbidden(
                    f'{res.plural} "{name}" is forbidden: failed quota: {qname}: must specify {",".join(sorted(missing))}'
                )
            if over:
                over.sort()
                req = ",".join(f"{k}={quantity.fmt(k, add[k])}" for k in over)
                usd = ",".join(f"{k}={quantity.fmt(k, used.get(k, 0))}" for k in over)
                lim = ",".join(f"{k}={hard[k]}" for k in over)
                raise errors.forbidden(
                    f'{res.plural} "{name}" is forbidden: exceeded quota: {qname}, requested: {req}, used: {usd}, limited: {lim}'
                )

    def _used(self, ns: str, hard: dict[str, Any]) -> dict[str, float]:
        used: dict[str, float] = {}
        if any(k in COMPUTE or k == "pods" for k in hard):
            pods = [p for p in self.store.objects("/pods", ns) if pod_active(p)]
            used["pods"] = len(pods)
            for p in pods:
                for k, v in pod_usage(p).items():
                    used[k] = used.get(k, 0) + v
        for k in hard:
            key = _count_key(k)
            if key and k != "pods":
                used[k] = (
                    float(self.store.count_ns(key, ns))
                    if hasattr(self.store, "count_ns")
                    else float(len(self.store.objects(key, ns)))
                )
        return used

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        ns = obj["metadata"].get("namespace", "")
        if key == "/resourcequotas":
            if type_ != "DELETED":
                self.enqueue((ns, obj["metadata"]["name"]))
            return
        for q in self.store.objects("/resourcequotas", ns):
            self.enqueue((ns, q["metadata"]["name"]))

    def reconcile(self, item: Any) -> None:
        ns, name = item
        res = self.R("", "resourcequotas")
        q = self.api.find(res, ns, name)
        if q is None:
            return
        hard = copy.deepcopy((q.get("spec") or {}).get("hard") or {})
        used = self._used(ns, hard)

        def st(o: Obj) -> None:
            o["status"] = {
                "hard": hard,
                "used": {k: quantity.fmt(k, used.get(k, 0)) for k in hard},
            }

        self.api.mutate(res, ns, name, st)
