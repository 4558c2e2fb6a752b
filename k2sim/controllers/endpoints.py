"""Services get a ClusterIP (and NodePorts) at admission; Endpoints and EndpointSlices
follow the ready pods matching each service's selector."""

from __future__ import annotations

import ipaddress
from typing import Any

from .. import errors
from ..resources import Resource
from ..storage import Obj
from .base import Controller, owner_ref, pod_ready


class EndpointsController(Controller):
    keys = ("/services", "/pods", "networking.k8s.io/ingresses")

    def __init__(self, cp: Any):
        super().__init__(cp)
        self.next_ip = 10
        self.next_port = 30000

    # -- admission ---------------------------------------------------------------------
    def admit_service(self, op: str, res: Resource, obj: Obj, old: Obj | None) -> None:
        if res.kind != "Service":
            return
        spec = obj.setdefault("spec", {})
        if old is not None:
            for k in ("clusterIP", "clusterIPs"):
                if (old.get("spec") or {}).get(k) and not spec.get(k):
                    spec[k] = old["spec"][k]
        if spec.get("type") == "ExternalName":
            return
        if not spec.get("clusterIP"):
            spec["clusterIP"] = self._alloc_ip()
        if spec["clusterIP"] != "None":
            spec["clusterIPs"] = [spec["clusterIP"]]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
            for p in spec.get("ports") or []:
                if not p.get("nodePort"):
                    p["nodePort"] = self._alloc_port()

    def _alloc_ip(self) -> str:
        net = ipaddress.ip_network(self.cluster.cfg.service_cidr)
        used = {(s.get("spec") or {}).get("clusterIP") for s in self.store.objects("/services")}
        while True:
            if self.next_ip >= net.num_addresses - 1:
                raise errors.ApiError(
                    500, "InternalError", "failed to allocate a serviceIP: range is full"
                )
            ip = str(net[self.next_ip])
            self.next_ip += 1
            if ip not in used:
                return ip

    def _alloc_port(self) -> int:
        self.next_port += 1
        if self.next_port > 32767:
            self.next_port = 30001
        return self.next_port

    # -- endpoints ---------------------------------------------------------------------
    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        ns = md.get("namespace", "")
        if key == "networking.k8s.io/ingresses":
            if type_ != "DELETED" and not (obj.get("status") or {}).get("loadBalancer", {}).get(
                "ingress"
            ):
                self.cp.later(0, self._admit_ingress, ns, md["name"])
            return
        if key == "/services":
            if type_ == "DELETED" and (ns, md["name"]) == ("default", "kubernetes"):
                # the apiserver recreates its own service, as the real one does
                self.cp.later(0.1, self._recreate_kubernetes_service)
                return
            self.enqueue((ns, md["name"]))
            return
        labels = md.get("labels") or {}
        old_labels = ((old or {}).get("metadata") or {}).get("labels") or {}
        for svc in self.store.objects("/services", ns):
            sel = (svc.get("spec") or {}).get("selector")
            if not sel:
                continue
            if all(labels.get(k) == v for k, v in sel.items()) or (
                old_labels and all(old_labels.get(k) == v for k, v in sel.items())
            ):
                self.enqueue((ns, svc["metadata"]["name"]))

    def _admit_ingress(self, ns: str, name: str) -> None:
        """An ingress controller would publish its address; k2sim's is loopback."""
        res = self.R("networking.k8s.io", "ingresses")
        self.api.mutate(
            res,
            ns,
            name,
            lambda o: o.__setitem__("status", {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}),
        )

    def _recreate_kubernetes_service(self) -> None:
        res = self.R("", "services")
        if self.api.find(res, "default", "kubernetes") is None:
            self.api.create(
                res,
                "default",
                {
                    "metadata": {
                        "name": "kubernetes",
                        "labels": {"component": "apiserver", "provider": "kubernetes"},
                    },
                    "spec": {
                        "clusterIP": "10.96.0.1",
                        "ports": [{"name": "https", "port": 443, "targetPort": 6443}],
                    },
                },
            )

    def reconcile(self, item: Any) -> None:
        ns, name = item
        svc = self.store.get("/services", ns, name)
        eres = self.R("", "endpoints")
        sres = self.R("discovery.k8s.io", "endpointslices")
        if svc is None:
            return
        sel = (svc.get("spec") or {}).get("selector")
        if not sel:
            return
        pods = [
            p
            for p in self.store.objects("/pods", ns)
            if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in sel.items())
            and (p.get("status") or {}).get("podIP")
            and not p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") == "Running"
        ]
        pods.sort(key=lambda p: p["metadata"]["name"])

        def addr(p: Obj) -> dict[str, Any]:
            return {
                "ip": p["status"]["podIP"],
                "nodeName": p["spec"].get("nodeName"),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": ns,
                    "name": p["metadata"]["name"],
                    "uid": p["metadata"]["uid"],
                },
            }

        ready = [addr(p) for p in pods if pod_ready(p)]
        not_ready = [addr(p) for p in pods if not pod_ready(p)]
        ports = [
            {
                k: v
                for k, v in {
                    "name": sp.get("name"),
                    "port": _target(sp),
                    "protocol": sp.get("protocol", "TCP"),
                }.items()
                if v is not None
            }
            for sp in (svc["spec"].get("ports") or [])
        ]
        subset: dict[str, Any] = {}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if subset:
            subset["ports"] = ports
        body = {
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": dict(svc["metadata"].get("labels") or {}),
            },
            "subsets": [subset] if subset else [],
        }
        if not body["subsets"]:
            body.pop("subsets")
        cur = self.api.find(eres, ns, name)
        if cur is None:
            self.api.create(eres, ns, body)
        else:

            def upd(o: Obj) -> None:
                if "subsets" in body:
                    o["subsets"] = body["subsets"]
                else:
                    o.pop("subsets", None)

            self.api.mutate(eres, ns, name, upd)
        slice_name = f"{name}-k2sim"
        sl = {
            "metadata": {
                "name": slice_name,
                "namespace": ns,
                "labels": {
                    "kubernetes.io/service-name": name,
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                },
                "ownerReferences": [owner_ref(svc)],
            },
            "addressType": "IPv4",
            "endpoints": [
                {
                    "addresses": [a["ip"]],
                    "conditions": {"ready": a in ready, "serving": True, "terminating": False},
                    "nodeName": a["nodeName"],
                    "targetRef": a["targetRef"],
                }
                for a in ready + not_ready
            ],
            "ports": ports,
        }
        if self.api.find(sres, ns, slice_name) is None:
            self.api.create(sres, ns, sl)
        else:
            self.api.mutate(
                sres, ns, slice_name, lambda o: o.update(endpoints=sl["endpoints"], ports=ports)
            )


def _target(sp: dict[str, Any]) -> Any:
    t = sp.get("targetPort", sp.get("port"))
    return t if isinstance(t, int) else sp.get("port")
