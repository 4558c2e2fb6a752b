"""CustomResourceDefinitions: registering a CRD makes its resource served at once (and its
OpenAPI document published); deleting it removes the resource and its objects."""

from __future__ import annotations

from typing import Any

from ..resources import Resource
from ..storage import Obj
from .base import Controller

KEY = "apiextensions.k8s.io/customresourcedefinitions"


class CRDController(Controller):
    keys = (KEY,)

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        if type_ == "DELETED":
            self.unregister(obj)
            self.cp.later(0, self._purge, obj)
            return
        if old is not None:
            self.unregister(old)
        self.register(obj)
        super().on_event(key, type_, obj, old)

    def register(self, crd: Obj) -> None:
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        group = spec.get("group", "")
        for v in spec.get("versions") or []:
            if not v.get("served", True):
                continue
            schema = ((v.get("schema") or {}).get("openAPIV3Schema")) or {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
            }
            subs = {}
            if "status" in (v.get("subresources") or {}):
                subs["status"] = names.get("kind", "")
            if "scale" in (v.get("subresources") or {}):
                subs["scale"] = "autoscaling.v1/Scale"
            schema = dict(schema)
            props = dict(schema.get("properties") or {})
            props["metadata"] = {"type": "object"}
            schema["properties"] = props
            self.cluster.registry.add(
                Resource(
                    group=group,
                    version=v["name"],
                    plural=names.get("plural", ""),
                    kind=names.get("kind", ""),
                    namespaced=spec.get("scope") == "Namespaced",
                    singular=names.get("singular", ""),
                    short_names=list(names.get("shortNames") or []),
                    categories=list(names.get("categories") or []),
                    verbs=[
                        "create",
                        "delete",
                        "deletecollection",
                        "get",
                        "list",
                        "patch",
                        "update",
                        "watch",
                    ],
                    subresources=subs,
                    crd_schema=schema,
                    printer_columns=list(v.get("additionalPrinterColumns") or []),
                )
            )
        self.cluster.invalidate_openapi()

    def unregister(self, crd: Obj) -> None:
        spec = crd.get("spec") or {}
        plural = (spec.get("names") or {}).get("plural", "")
        for v in spec.get("versions") or []:
            self.cluster.registry.remove_group_version(spec.get("group", ""), v["name"], plural)
        self.cluster.invalidate_openapi()

    def _purge(self, crd: Obj) -> None:
        spec = crd.get("spec") or {}
        key = f"{spec.get('group')}/{(spec.get('names') or {}).get('plural')}"
        for o in list(self.store.objects(key)):
            md = o["metadata"]
            self.store.remove(key, md.get("namespace", ""), md["name"])

    def reconcile(self, item: Any) -> None:
        _, name = item
        crd_res = self.R("apiextensions.k8s.io", "customresourcedefinitions")

        def establish(o: Obj) -> None:
            spec = o.get("spec") or {}
            names = dict(spec.get("names") or {})
            names.setdefault("singular", names.get("kind", "").lower())
            names.setdefault("listKind", names.get("kind", "") + "List")
            st = o.setdefault("status", {})
            st["acceptedNames"] = names
            st["storedVersions"] = [
                v["name"] for v in spec.get("versions") or [] if v.get("storage")
            ]
            ts = o["metadata"]["creationTimestamp"]
            st["conditions"] = [
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    "lastTransitionTime": ts,
                },
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": ts,
                },
            ]

        self.api.mutate(crd_res, "", name, establish)

    def resync(self) -> None:
        for crd in self.store.objects(KEY):
            self.register(crd)
            self.enqueue(("", crd["metadata"]["name"]))
