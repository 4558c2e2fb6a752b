"""Deployments: a ReplicaSet per pod-template-hash, rolling updates within maxSurge and
maxUnavailable, and the status/conditions ``kubectl rollout status`` reads."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

from ..apply import now_iso
from ..storage import Obj
from .base import Controller, owner_ref

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: dict[str, Any]) -> str:
    raw = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    n = int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")
    out = ""
    for _ in range(10):
        n, r = divmod(n, len(ALPHABET))
        out += ALPHABET[r]
    return out


def resolve(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        frac = int(value[:-1]) * total / 100
        return math.ceil(frac) if round_up else math.floor(frac)
    return int(value or 0)


def _rev(rs: Obj) -> int:
    try:
        return int(
            (rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "0")
        )
    except ValueError:
        return 0


class DeploymentController(Controller):
    keys = ("apps/deployments", "apps/replicasets")

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if key == "apps/replicasets":
            for ref in md.get("ownerReferences") or []:
                if ref.get("kind") == "Deployment":
                    self.enqueue((md.get("namespace", ""), ref["name"]))
            return
        if type_ != "DELETED":
            self.enqueue((md.get("namespace", ""), md["name"]))

    def reconcile(self, item: Any) -> None:
        ns, name = item
        dres = self.R("apps", "deployments")
        rsres = self.R("apps", "replicasets")
        d = self.api.find(dres, ns, name)
        if d is None or d["metadata"].get("deletionTimestamp"):
            return
        spec = d["spec"]
        want = spec.get("replicas", 1)
        tpl = copy.deepcopy(spec.get("template") or {})
        h = template_hash(tpl)
        all_rs = [
            rs
            for rs in self.cp.owned(d, "apps/replicasets")
            if not rs["metadata"].get("deletionTimestamp")
        ]
        new_rs = next(
            (
                rs
                for rs in all_rs
                if (rs["metadata"].get("labels") or {}).get("pod-template-hash") == h
            ),
            None,
        )
        old_rs = [rs for rs in all_rs if rs is not new_rs]
        paused = spec.get("paused", False)
        rev = max([_rev(rs) for rs in all_rs] + [0])
        if new_rs is None and not paused:
            labels = dict((tpl.get("metadata") or {}).get("labels") or {})
            labels["pod-template-hash"] = h
            tpl.setdefault("metadata", {})["labels"] = labels
            sel = copy.deepcopy(spec.get("selector") or {})
            sel.setdefault("matchLabels", {})["pod-template-hash"] = h
            first = not any(rs["spec"].get("replicas", 0) for rs in old_rs)
            strategy = (spec.get("strategy") or {}).get("type", "RollingUpdate")
            initial = want if first and strategy != "Recreate" else 0
            rs = {
                "metadata": {
                    "name": f"{name}-{h}",
                    "namespace": ns,
                    "labels": labels,
                    "annotations": {
                        "deployment.kubernetes.io/revision": str(rev + 1),
                        "deployment.kubernetes.io/desired-replicas": str(want),
                        "deployment.kubernetes.io/max-replicas": str(want),
                    },
                    "ownerReferences": [owner_ref(d)],
                },
                "spec": {"replicas": initial, "selector": sel, "template": tpl},
            }
            new_rs = self.api.create(rsres, ns, rs)
            rev += 1
            self.cp.events.record(
                d,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {new_rs['metadata']['name']} from 0 to {initial}",
                "deployment-controller",
            )
        elif new_rs is not None and _rev(new_rs) < rev and old_rs and not paused:
            self.api.mutate(
                rsres,
                ns,
                new_rs["metadata"]["name"],
                lambda o: (
                    o["metadata"]
                    .setdefault("annotations", {})
                    .__setitem__("deployment.kubernetes.io/revision", str(rev + 1))
                ),
            )
            rev += 1
        if new_rs is not None and not paused:
            self._rollout(d, new_rs, old_rs, want)
        self._cleanup(d, old_rs)
        self._status(d, new_rs, old_rs, want, rev)

    def _scale(self, d: Obj, rs: Obj, n: int) -> None:
        cur = rs["spec"].get("replicas", 0)
        if cur == n:
            return
        rsres = self.R("apps", "replicasets")
        want = d["spec"].get("replicas", 1)

        def set_n(o: Obj) -> None:
            o["spec"]["replicas"] = n
            ann = o["metadata"].setdefault("annotations", {})
            ann["deployment.kubernetes.io/desired-replicas"] = str(want)

        self.api.mutate(rsres, rs["metadata"]["namespace"], rs["metadata"]["name"], set_n)
        verb = "up" if n > cur else "down"
        self.cp.events.record(
            d,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {verb} replica set {rs['metadata']['name']} from {cur} to {n}",
            "deployment-controller",
        )

    def _rollout(self, d: Obj, new_rs: Obj, old_rs: list[Obj], want: int) -> None:
        strategy = d["spec"].get("strategy") or {}
        old_active = [rs for rs in old_rs if rs["spec"].get("replicas", 0) > 0]
        if strategy.get("type") == "Recreate":
            for rs in old_active:
                self._scale(d, rs, 0)
            old_pods = sum((rs.get("status") or {}).get("replicas", 0) for rs in old_rs)
            if not old_active and old_pods == 0:
                self._scale(d, new_rs, want)
            return
        if not old_active:
            self._scale(d, new_rs, want)
            return
        ru = strategy.get("rollingUpdate") or {}
        surge = resolve(ru.get("maxSurge", "25%"), want, True)
        unavail = resolve(ru.get("maxUnavailable", "25%"), want, False)
        if surge == 0 and unavail == 0:
            unavail = 1
        total = sum(rs["spec"].get("replicas", 0) for rs in [new_rs, *old_rs])
        new_n = new_rs["spec"].get("replicas", 0)
        allowed = want + surge - total
        if allowed > 0 and new_n < want:
            new_n = min(want, new_n + allowed)
            self._scale(d, new_rs, new_n)
        min_avail = want - unavail
        available = sum(
            (rs.get("status") or {}).get("availableReplicas", 0) for rs in [new_rs, *old_rs]
        )
        can_remove = available - min_avail
        # Old pods that are not available can always go.
        for rs in sorted(old_active, key=lambda r: r["metadata"].get("creationTimestamp", "")):
            n = rs["spec"].get("replicas", 0)
            unavailable_here = n - (rs.get("status") or {}).get("availableReplicas", 0)
            cut = min(n, max(0, can_remove) + max(0, unavailable_here))
            if cut > 0:
                self._scale(d, rs, n - cut)
                can_remove -= max(0, cut - max(0, unavailable_here))

    def _cleanup(self, d: Obj, old_rs: list[Obj]) -> None:
        limit = d["spec"].get("revisionHistoryLimit", 10)
        dead = [
            rs
            for rs in old_rs
            if rs["spec"].get("replicas", 0) == 0
            and (rs.get("status") or {}).get("replicas", 0) == 0
        ]
        dead.sort(key=_rev)
        rsres = self.R("apps", "replicasets")
        for rs in dead[: max(0, len(dead) - limit)]:
            self.api.delete(rsres, rs["metadata"]["namespace"], rs["metadata"]["name"])

    def _status(self, d: Obj, new_rs: Obj | None, old_rs: list[Obj], want: int, rev: int) -> None:
        rss = ([new_rs] if new_rs else []) + old_rs
        st_of = [rs.get("status") or {} for rs in rss]
        replicas = sum(s.get("replicas", 0) for s in st_of)
        ready = sum(s.get("readyReplicas", 0) for s in st_of)
        available = sum(s.get("availableReplicas", 0) for s in st_of)
        updated = (new_rs.get("status") or {}).get("replicas", 0) if new_rs else 0
        ru = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
        unavail = resolve(ru.get("maxUnavailable", "25%"), want, False)
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            unavail = 0
        is_available = available >= want - unavail
        complete = (
            new_rs is not None
            and updated == want
            and replicas == want
            and available == want
            and all(rs["spec"].get("replicas", 0) == 0 for rs in old_rs)
        )
        now = now_iso()
        rs_name = new_rs["metadata"]["name"] if new_rs else ""
        gen = d["metadata"].get("generation", 1)
        dres = self.R("apps", "deployments")

        def cond(
            conds: list[dict[str, Any]], type_: str, status: str, reason: str, msg: str
        ) -> None:
            for c in conds:
                if c["type"] == type_:
                    if c["status"] != status:
                        c["lastTransitionTime"] = now
                    if c["reason"] != reason or c["status"] != status:
                        c["lastUpdateTime"] = now
                    c.update(status=status, reason=reason, message=msg)
                    return
            conds.append(
                {
                    "type": type_,
                    "status": status,
                    "reason": reason,
                    "message": msg,
                    "lastUpdateTime": now,
                    "lastTransitionTime": now,
                }
            )

        def set_status(o: Obj) -> None:
            o["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = str(
                rev
            )
            st = o.setdefault("status", {})
            st["observedGeneration"] = gen
            st["replicas"] = replicas
            st["updatedReplicas"] = updated
            st["readyReplicas"] = ready
            st["availableReplicas"] = available
            if want - available > 0:
                st["unavailableReplicas"] = want - available
            else:
                st.pop("unavailableReplicas", None)
            for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
                if not st[k]:
                    st.pop(k)
            conds = st.setdefault("conditions", [])
            if is_available:
                cond(
                    conds,
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                )
            else:
                cond(
                    conds,
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                )
            if complete:
                cond(
                    conds,
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{rs_name}" has successfully progressed.',
                )
            elif rs_name:
                cond(
                    conds,
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    f'ReplicaSet "{rs_name}" is progressing.',
                )
            conds.sort(key=lambda c: c["type"] != "Available")

        self.api.mutate(dres, d["metadata"]["namespace"], d["metadata"]["name"], set_status)
