"""The scheduler: binds each pending pod to the least-loaded node whose allocatable CPU,
memory and pod count fit its requests (and nodeSelector), else leaves it Pending with a
FailedScheduling event and retries when capacity frees up."""

from __future__ import annotations

from typing import Any

from .. import quantity
from ..apply import now_iso
from ..storage import Obj
from .base import Controller


def pod_requests(pod: Obj) -> tuple[float, float]:
    cpu = mem = 0.0
    for c in (pod.get("spec") or {}).get("containers") or []:
        req = (c.get("resources") or {}).get("requests") or {}
        lim = (c.get("resources") or {}).get("limits") or {}
        cpu += quantity.parse(req.get("cpu", lim.get("cpu", 0)))
        mem += quantity.parse(req.get("memory", lim.get("memory", 0)))
    return cpu, mem


class Scheduler(Controller):
    keys = ("/pods", "/nodes")

    def __init__(self, cp: Any):
        super().__init__(cp)
        self.usage: dict[str, dict[tuple[str, str], tuple[float, float]]] = {}
        self.totals: dict[str, list[float]] = {}
        self.unschedulable: set[tuple[str, str]] = set()

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if key == "/nodes":
            self._retry_unschedulable()
            return
        ident = (md.get("namespace", ""), md["name"])
        node = (obj.get("spec") or {}).get("nodeName")
        terminal = (obj.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        if type_ == "DELETED" or terminal:
            self.unschedulable.discard(ident)
            if node and ident in self.usage.get(node, {}):
                self._release(node, ident)
                self._retry_unschedulable()
            return
        if node:
            self._reserve(node, ident, pod_requests(obj))
            self.unschedulable.discard(ident)
            return
        if md.get("deletionTimestamp"):
            return
        if (obj.get("spec") or {}).get("schedulerName", "default-scheduler") != "default-scheduler":
            return
        self.enqueue(ident)

    def _reserve(self, node: str, ident: tuple[str, str], req: tuple[float, float]) -> None:
        """Keep per-node request totals incrementally: O(1) per pod, not O(pods)."""
        self._release(node, ident)
        self.usage.setdefault(node, {})[ident] = req
        t = self.totals.setdefault(node, [0.0, 0.0])
        t[0] += req[0]
        t[1] += req[1]

    def _release(self, node: str, ident: tuple[str, str]) -> None:
        req = self.usage.get(node, {}).pop(ident, None)
        if req is not None:
            t = self.totals[node]
            t[0] -= req[0]
            t[1] -= req[1]

    def _retry_unschedulable(self) -> None:
        for ident in list(self.unschedulable):
            self.enqueue(ident)

    def resync(self) -> None:
        for pod in self.store.objects("/pods"):
            self.on_event("/pods", "ADDED", pod, None)

    def reconcile(self, item: Any) -> None:
        ns, name = item
        pres = self.R("", "pods")
        pod = self.api.find(pres, ns, name)
        if (
            pod is None
            or (pod.get("spec") or {}).get("nodeName")
            or pod["metadata"].get("deletionTimestamp")
        ):
            return
        cpu, mem = pod_requests(pod)
        selector = (pod.get("spec") or {}).get("nodeSelector") or {}
        nodes = self.store.objects("/nodes")
        best, best_score = None, None
        short = {"cpu": 0, "memory": 0, "pods": 0, "selector": 0}
        for n in nodes:
            nname = n["metadata"]["name"]
            labels = n["metadata"].get("labels") or {}
            if any(labels.get(k) != v for k, v in selector.items()):
                short["selector"] += 1
                continue
            if (n.get("spec") or {}).get("unschedulable"):
                short["selector"] += 1
                continue
            alloc = (n.get("status") or {}).get("allocatable") or {}
            used = self.usage.get(nname, {})
            ucpu, umem = self.totals.get(nname, (0.0, 0.0))
            acpu, amem = (
                quantity.parse(alloc.get("cpu", "0")),
                quantity.parse(alloc.get("memory", "0")),
            )
            ok = True
            if ucpu + cpu > acpu:
                short["cpu"] += 1
                ok = False
            if umem + mem > amem:
                short["memory"] += 1
                ok = False
            if len(used) + 1 > int(quantity.parse(alloc.get("pods", "110"))):
                short["pods"] += 1
                ok = False
            if not ok:
                continue
            score = (
                ((ucpu + cpu) / acpu if acpu else 0)
                + ((umem + mem) / amem if amem else 0)
                + len(used) / 1000
            )
            if best_score is None or score < best_score:
                best, best_score = nname, score
        if best is None:
            self.unschedulable.add(item)
            parts = []
            if short["cpu"]:
                parts.append(f"{short['cpu']} Insufficient cpu")
            if short["memory"]:
                parts.append(f"{short['memory']} Insufficient memory")
            if short["pods"]:
                parts.append(f"{short['pods']} Too many pods")
            if short["selector"]:
                parts.append(
                    f"{short['selector']} node(s) didn't match Pod's node affinity/selector"
                )
            msg = f"0/{len(nodes)} nodes are available: {', '.join(parts) or 'no nodes available'}."
            n = len(nodes)
            msg += f" preemption: 0/{n} nodes are available: {n} No preemption victims found for incoming pod."

            def unsched(o: Obj) -> None:
                st = o.setdefault("status", {})
                st["phase"] = "Pending"
                st["conditions"] = [
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": msg,
                        "lastTransitionTime": now_iso(),
                        "lastProbeTime": None,
                    }
                ]

            self.api.mutate(pres, ns, name, unsched)
            self.cp.events.record(pod, "Warning", "FailedScheduling", msg, "default-scheduler")
            return
        self._reserve(best, item, (cpu, mem))

        def bind(o: Obj) -> None:
            o["spec"]["nodeName"] = best
            st = o.setdefault("status", {})
            st["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastTransitionTime": now_iso(),
                    "lastProbeTime": None,
                }
            ]

        bound = self.api.mutate(pres, ns, name, bind)
        if bound is not None:
            self.cp.events.record(
                bound,
                "Normal",
                "Scheduled",
                f"Successfully assigned {ns}/{name} to {best}",
                "default-scheduler",
            )
