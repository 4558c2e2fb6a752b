"""DaemonSets: one pod per schedulable node matching the nodeSelector."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..storage import Obj
from .base import Controller, controller_uid, pod_active, pod_ready
from .deployment import template_hash
from .replicaset import pod_from_template


class DaemonSetController(Controller):
    keys = ("apps/daemonsets", "/pods", "/nodes")

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if key == "/nodes":
            for ds in self.store.objects("apps/daemonsets"):
                self.enqueue((ds["metadata"]["namespace"], ds["metadata"]["name"]))
            return
        if key == "/pods":
            self.enqueue_controller_of(obj, "DaemonSet")
            return
        if type_ != "DELETED":
            self.enqueue((md.get("namespace", ""), md["name"]))

    def reconcile(self, item: Any) -> None:
        ns, name = item
        ds = self.live("apps", "daemonsets", ns, name)
        if ds is None:
            return
        tpl = ds["spec"].get("template") or {}
        h = template_hash(tpl)
        sel = (tpl.get("spec") or {}).get("nodeSelector") or {}
        nodes = [
            n["metadata"]["name"]
            for n in self.store.objects("/nodes")
            if all((n["metadata"].get("labels") or {}).get(k) == v for k, v in sel.items())
        ]
        pods = [
            p
            for p in self.cp.owned(ds, "/pods")
            if controller_uid(p) == ds["metadata"]["uid"] and pod_active(p)
        ]
        by_node = {p["spec"].get("nodeName"): p for p in pods}
        pres = self.R("", "pods")
        for node in nodes:
            p = by_node.get(node)
            if (
                p is not None
                and (p["metadata"].get("labels") or {}).get("controller-revision-hash") != h
            ):
                self.api.delete(pres, ns, p["metadata"]["name"])
                continue
            if p is None:
                pod = pod_from_template(ds, tpl)
                pod["metadata"]["labels"]["controller-revision-hash"] = h
                pod["spec"]["nodeName"] = node
                try:
                    self.api.create(pres, ns, pod)
                except ApiError as e:
                    self.cp.events.record(
                        ds,
                        "Warning",
                        "FailedCreate",
                        f"Error creating: {e.message}",
                        "daemonset-controller",
                    )
        for node, p in by_node.items():
            if node not in nodes:
                self.api.delete(pres, ns, p["metadata"]["name"])
        live = [p for p in self.cp.owned(ds, "/pods") if pod_active(p)]
        ready = sum(1 for p in live if pod_ready(p))
        gen = ds["metadata"].get("generation", 1)

        def st(o: Obj) -> None:
            o.setdefault("status", {}).update(
                desiredNumberScheduled=len(nodes),
                currentNumberScheduled=len(live),
                numberReady=ready,
                numberAvailable=ready,
                updatedNumberScheduled=len(live),
                numberMisscheduled=0,
                observedGeneration=gen,
            )

        self.api.mutate(self.R("apps", "daemonsets"), ns, name, st)
