"""PodDisruptionBudgets: status (currentHealthy, desiredHealthy, disruptionsAllowed) kept
current from the matching pods, and the eviction check ``kubectl drain`` runs into."""

from __future__ import annotations

import math
from typing import Any

from .. import errors
from ..selectors import selector_from_label_selector
from ..storage import Obj
from .base import Controller, pod_active, pod_ready

KEY = "policy/poddisruptionbudgets"


def _count(value: Any, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value or 0)


class DisruptionController(Controller):
    keys = (KEY, "/pods")

    def _matching(self, pdb: Obj) -> list[Obj]:
        match = selector_from_label_selector((pdb.get("spec") or {}).get("selector"))
        ns = pdb["metadata"]["namespace"]
        return [
            p
            for p in self.store.objects("/pods", ns)
            if pod_active(p) and match(p["metadata"].get("labels") or {})
        ]

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        ns = md.get("namespace", "")
        if key == KEY:
            if type_ != "DELETED":
                self.enqueue((ns, md["name"]))
            return
        for pdb in self.store.objects(KEY, ns):
            self.enqueue((ns, pdb["metadata"]["name"]))

    def reconcile(self, item: Any) -> None:
        ns, name = item
        res = self.R("policy", "poddisruptionbudgets")
        pdb = self.api.find(res, ns, name)
        if pdb is None:
            return
        pods = self._matching(pdb)
        healthy = sum(1 for p in pods if pod_ready(p))
        spec = pdb.get("spec") or {}
        expected = len(pods)
        if "minAvailable" in spec:
            desired = _count(spec["minAvailable"], expected)
        else:
            desired = expected - _count(spec.get("maxUnavailable", 0), expected)
        allowed = max(0, healthy - desired)
        gen = pdb["metadata"].get("generation", 1)

        def st(o: Obj) -> None:
            old = {c["type"]: c for c in (o.get("status") or {}).get("conditions") or []}
            status = "True" if allowed > 0 else "False"
            cond = old.get("DisruptionAllowed")
            if cond is None or cond.get("status") != status:
                cond = {
                    "type": "DisruptionAllowed",
                    "status": status,
                    "reason": "SufficientPods" if allowed > 0 else "InsufficientPods",
                    "message": "",
                    "observedGeneration": gen,
                    "lastTransitionTime": o["metadata"].get("creationTimestamp"),
                }
            o["status"] = {
                "observedGeneration": gen,
                "currentHealthy": healthy,
                "desiredHealthy": desired,
                "expectedPods": expected,
                "disruptionsAllowed": allowed,
                "conditions": [cond],
            }

        self.api.mutate(res, ns, name, st)

    def check_eviction(self, pod: Obj) -> None:
        """Raise 429 like the eviction subresource when a budget would be violated."""
        ns = pod["metadata"]["namespace"]
        labels = pod["metadata"].get("labels") or {}
        for pdb in self.store.objects(KEY, ns):
            if not selector_from_label_selector((pdb.get("spec") or {}).get("selector"))(labels):
                continue
            self.reconcile((ns, pdb["metadata"]["name"]))
            cur = self.store.get(KEY, ns, pdb["metadata"]["name"]) or pdb
            st = cur.get("status") or {}
            if pod_ready(pod) and st.get("disruptionsAllowed", 0) <= 0:
                raise errors.ApiError(
                    429,
                    "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    {
                        "causes": [
                            {
                                "reason": "DisruptionBudget",
                                "message": f"The disruption budget {pdb['metadata']['name']} needs "
                                f"{st.get('desiredHealthy', 0)} healthy pods and has "
                                f"{st.get('currentHealthy', 0)} currently",
                            }
                        ]
                    },
                )
