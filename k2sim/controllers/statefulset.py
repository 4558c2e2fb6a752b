"""StatefulSets: ordinal pods <name>-0..N-1 created in order (each after the previous is
Ready under OrderedReady), removed from the highest ordinal, rolled by revision."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..storage import Obj
from .base import Controller, controller_uid, pod_active, pod_ready
from .deployment import template_hash
from .replicaset import pod_from_template


class StatefulSetController(Controller):
    keys = ("apps/statefulsets", "/pods")

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if key == "/pods":
            self.enqueue_controller_of(obj, "StatefulSet")
            return
        if type_ != "DELETED":
            self.enqueue((md.get("namespace", ""), md["name"]))

    def reconcile(self, item: Any) -> None:
        ns, name = item
        sts = self.live("apps", "statefulsets", ns, name)
        if sts is None:
            return
        spec = sts["spec"]
        want = spec.get("replicas", 1)
        rev = f"{name}-{template_hash(spec.get('template') or {})}"
        pods = {
            p["metadata"]["name"]: p
            for p in self.cp.owned(sts, "/pods")
            if controller_uid(p) == sts["metadata"]["uid"]
        }
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        pres = self.R("", "pods")
        for i in range(want):
            pname = f"{name}-{i}"
            p = pods.get(pname)
            if p is None:
                self.cp.volumes.claims_for(sts, i)
                pod = pod_from_template(sts, spec.get("template") or {}, pname)
                labels = pod["metadata"]["labels"]
                labels["controller-revision-hash"] = rev
                labels["statefulset.kubernetes.io/pod-name"] = pname
                labels["apps.kubernetes.io/pod-index"] = str(i)
                pod["spec"]["hostname"] = pname
                if spec.get("serviceName"):
                    pod["spec"]["subdomain"] = spec["serviceName"]
                for tpl in spec.get("volumeClaimTemplates") or []:
                    vname = tpl["metadata"]["name"]
                    vols = pod["spec"].setdefault("volumes", [])
                    if not any(v.get("name") == vname for v in vols):
                        vols.append(
                            {
                                "name": vname,
                                "persistentVolumeClaim": {"claimName": f"{vname}-{name}-{i}"},
                            }
                        )
                try:
                    self.api.create(pres, ns, pod)
                except ApiError as e:
                    self.cp.events.record(
                        sts,
                        "Warning",
                        "FailedCreate",
                        f"create Pod {pname} in StatefulSet {name} failed error: {e.message}",
                        "statefulset-controller",
                    )
                    self.enqueue_later(1.0, item)
                    break
                self.cp.events.record(
                    sts,
                    "Normal",
                    "SuccessfulCreate",
                    f"create Pod {pname} in StatefulSet {name} successful",
                    "statefulset-controller",
                )
                if ordered:
                    break
                continue
            if ordered and not (pod_active(p) and pod_ready(p)):
                break
        else:
            # All present and ready: roll one outdated pod at a time, highest ordinal first.
            for i in reversed(range(want)):
                p = pods.get(f"{name}-{i}")
                if (
                    p is not None
                    and (p["metadata"].get("labels") or {}).get("controller-revision-hash") != rev
                ):
                    if not p["metadata"].get("deletionTimestamp"):
                        self.api.delete(pres, ns, p["metadata"]["name"])
                    break
        for pname, p in sorted(pods.items(), key=lambda kv: -int(kv[0].rsplit("-", 1)[-1])):
            idx = int(pname.rsplit("-", 1)[-1])
            if idx >= want and not p["metadata"].get("deletionTimestamp"):
                self.api.delete(pres, ns, pname)
                self.cp.events.record(
                    sts,
                    "Normal",
                    "SuccessfulDelete",
                    f"delete Pod {pname} in StatefulSet {name} successful",
                    "statefulset-controller",
                )
                if ordered:
                    break
        live = [p for p in self.cp.owned(sts, "/pods") if pod_active(p)]
        ready = sum(1 for p in live if pod_ready(p))
        updated = sum(
            1
            for p in live
            if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == rev
        )
        gen = sts["metadata"].get("generation", 1)

        def st(o: Obj) -> None:
            s = o.setdefault("status", {})
            s.update(
                observedGeneration=gen,
                replicas=len(live),
                readyReplicas=ready,
                availableReplicas=ready,
                currentReplicas=updated,
                updatedReplicas=updated,
                currentRevision=rev,
                updateRevision=rev,
                collisionCount=0,
            )

        self.api.mutate(self.R("apps", "statefulsets"), ns, name, st)
