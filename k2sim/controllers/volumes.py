"""PersistentVolumeClaims bind at once to a dynamically "provisioned" PersistentVolume (no
storage exists); StatefulSets get their volumeClaimTemplates' claims like upstream."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..storage import Obj
from .base import Controller


class VolumeController(Controller):
    keys = ("/persistentvolumeclaims",)

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        if type_ == "DELETED":
            # reclaimPolicy Delete: the "provisioned" volume goes with its claim
            pv = f"pvc-{obj['metadata'].get('uid')}"
            if self.store.get("/persistentvolumes", "", pv) is not None:
                self.cp.later(0, self.store.remove, "/persistentvolumes", "", pv)
            return
        if type_ != "DELETED" and (obj.get("status") or {}).get("phase") != "Bound":
            md = obj["metadata"]
            self.enqueue((md.get("namespace", ""), md["name"]))

    def reconcile(self, item: Any) -> None:
        ns, name = item
        res = self.R("", "persistentvolumeclaims")
        pvc = self.api.find(res, ns, name)
        if pvc is None or pvc["metadata"].get("deletionTimestamp"):
            return
        spec = pvc.get("spec") or {}
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        modes = spec.get("accessModes") or ["ReadWriteOnce"]
        pv_name = f"pvc-{pvc['metadata']['uid']}"
        pvres = self.R("", "persistentvolumes")
        if self.api.find(pvres, "", pv_name) is None:
            self.api.create(
                pvres,
                "",
                {
                    "metadata": {
                        "name": pv_name,
                        "annotations": {"pv.kubernetes.io/provisioned-by": "k2sim"},
                    },
                    "spec": {
                        "capacity": {"storage": size},
                        "accessModes": modes,
                        "persistentVolumeReclaimPolicy": "Delete",
                        "storageClassName": spec.get("storageClassName") or "standard",
                        "claimRef": {
                            "kind": "PersistentVolumeClaim",
                            "namespace": ns,
                            "name": name,
                            "uid": pvc["metadata"]["uid"],
                        },
                        "hostPath": {"path": f"/var/k2sim/volumes/{pv_name}"},
                    },
                    "status": {"phase": "Bound"},
                },
            )

        def bind(o: Obj) -> None:
            o["spec"]["volumeName"] = pv_name
            o["spec"].setdefault("storageClassName", "standard")
            o["status"] = {"phase": "Bound", "accessModes": modes, "capacity": {"storage": size}}

        self.api.mutate(res, ns, name, bind)

    def claims_for(self, sts: Obj, ordinal: int) -> None:
        """Create the StatefulSet pod's claims (<template>-<sts>-<ordinal>) if missing."""
        res = self.R("", "persistentvolumeclaims")
        ns = sts["metadata"]["namespace"]
        for tpl in sts["spec"].get("volumeClaimTemplates") or []:
            name = f"{tpl['metadata']['name']}-{sts['metadata']['name']}-{ordinal}"
            if self.api.find(res, ns, name) is not None:
                continue
            labels = dict(((sts["spec"].get("selector") or {}).get("matchLabels")) or {})
            try:
                self.api.create(
                    res,
                    ns,
                    {
                        "metadata": {"name": name, "labels": labels},
                        "spec": dict(tpl.get("spec") or {}),
                    },
                )
            except ApiError:
                continue
