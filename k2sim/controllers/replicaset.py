"""ReplicaSets keep ``replicas`` pods alive; quota rejections become FailedCreate events and
are retried, like the real controller's backoff."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import ApiError
from ..storage import Obj
from .base import Controller, controller_uid, owner_ref, pod_active, pod_ready

RETRY_AFTER = 1.0


def pod_from_template(owner: Obj, template: dict[str, Any], name: str | None = None) -> Obj:
    tpl = copy.deepcopy(template)
    md = tpl.get("metadata") or {}
    meta: dict[str, Any] = {
        "labels": dict(md.get("labels") or {}),
        "ownerReferences": [owner_ref(owner)],
    }
    if md.get("annotations"):
        meta["annotations"] = dict(md["annotations"])
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = owner["metadata"]["name"] + "-"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": tpl.get("spec") or {}}


class ReplicaSetController(Controller):
    keys = ("apps/replicasets", "/pods")

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if key == "/pods":
            uid = controller_uid(obj)
            if uid is None:
                return
            for ref in md.get("ownerReferences") or []:
                if ref.get("uid") == uid and ref.get("kind") == "ReplicaSet":
                    self.enqueue((md.get("namespace", ""), ref["name"]))
            return
        if type_ != "DELETED":
            self.enqueue((md.get("namespace", ""), md["name"]))

    def reconcile(self, item: Any) -> None:
        ns, name = item
        rs = self.live("apps", "replicasets", ns, name)
        if rs is None:
            return
        pods = [p for p in self.cp.owned(rs, "/pods") if controller_uid(p) == rs["metadata"]["uid"]]
        active = [p for p in pods if pod_active(p)]
        want = rs["spec"].get("replicas", 1)
        pres = self.R("", "pods")
        if len(active) < want:
            for _ in range(want - len(active)):
                pod = pod_from_template(rs, rs["spec"].get("template") or {})
                try:
                    created = self.api.create(pres, ns, pod, fresh=True)
                except ApiError as e:
                    self.cp.events.record(
                        rs,
                        "Warning",
                        "FailedCreate",
                        f"Error creating: {e.message}",
                        "replicaset-controller",
                    )
                    self.enqueue_later(RETRY_AFTER, item)
                    break
                active.append(created)
                self.cp.events.record(
                    rs,
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {created['metadata']['name']}",
                    "replicaset-controller",
                )
        elif len(active) > want:
            # Delete unscheduled, then not-ready, then newest pods first.
            active.sort(
                key=lambda p: (
                    bool((p.get("spec") or {}).get("nodeName")),
                    pod_ready(p),
                    [-ord(ch) for ch in p["metadata"].get("creationTimestamp", "")],
                )
            )
            for p in active[: len(active) - want]:
                try:
                    self.api.delete(pres, ns, p["metadata"]["name"])
                except ApiError:
                    continue
                self.cp.events.record(
                    rs,
                    "Normal",
                    "SuccessfulDelete",
                    f"Deleted pod: {p['metadata']['name']}",
                    "replicaset-controller",
                )
            active = active[len(active) - want :]
        live = [p for p in self.cp.owned(rs, "/pods") if pod_active(p)]
        ready = sum(1 for p in live if pod_ready(p))
        gen = rs["metadata"].get("generation", 1)

        def set_status(o: Obj) -> None:
            st = o.setdefault("status", {})
            st["replicas"] = len(live)
            st["fullyLabeledReplicas"] = len(live)
            st["readyReplicas"] = ready
            st["availableReplicas"] = ready
            st["observedGeneration"] = gen
            for k in ("readyReplicas", "availableReplicas", "fullyLabeledReplicas"):
                if not st[k]:
                    st.pop(k)

        self.api.mutate(self.R("apps", "replicasets"), ns, name, set_status)
