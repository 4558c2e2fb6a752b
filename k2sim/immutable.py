"""Update validation for fields the apiserver refuses to change (selectors, clusterIP,
most of a pod's spec, immutable ConfigMaps/Secrets, StatefulSet spec), so code that works
against k2sim does not fail on a real cluster with 422 "field is immutable"."""

from __future__ import annotations

import json
from typing import Any

from . import errors
from .storage import Obj

STS_MUTABLE = {
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
}
POD_MUTABLE_CONTAINER = {"image"}


def _short(v: Any) -> str:
    s = json.dumps(v, separators=(",", ":"))
    return s if len(s) < 80 else s[:77] + "..."


def _immutable(field: str, value: Any) -> dict[str, str]:
    return {
        "reason": "FieldValueInvalid",
        "message": f"Invalid value: {_short(value)}: field is immutable",
        "field": field,
    }


def check(kind: str, old: Obj, new: Obj) -> None:
    """Raise 422 Invalid when ``new`` changes an immutable field of ``old``."""
    causes: list[dict[str, str]] = []
    os_, ns_ = old.get("spec") or {}, new.get("spec") or {}
    workload = kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job")
    if workload and os_.get("selector") != ns_.get("selector"):
        causes.append(_immutable("spec.selector", ns_.get("selector")))
    if kind == "StatefulSet":
        changed = sorted(
            k for k in set(os_) | set(ns_) if k not in STS_MUTABLE and os_.get(k) != ns_.get(k)
        )
        if changed and not causes:
            causes.append(
                {
                    "reason": "FieldValueForbidden",
                    "message": "Forbidden: updates to statefulset spec for fields other than "
                    "'replicas', 'ordinals', 'template', 'updateStrategy', "
                    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                    "field": "spec",
                }
            )
    if kind == "Service":
        old_ip = os_.get("clusterIP")
        if old_ip and ns_.get("clusterIP") and ns_.get("clusterIP") != old_ip:
            causes.append(_immutable("spec.clusterIPs[0]", ns_.get("clusterIP")))
    if kind in ("ConfigMap", "Secret") and old.get("immutable"):
        for f in ("data", "binaryData", "immutable"):
            if old.get(f) != new.get(f):
                causes.append(
                    {
                        "reason": "FieldValueForbidden",
                        "message": "Forbidden: field is immutable when `immutable` is set",
                        "field": f,
                    }
                )
                break
    if kind == "Pod" and _pod_spec_changed(os_, ns_):
        causes.append(
            {
                "reason": "FieldValueForbidden",
                "message": "Forbidden: pod updates may not change fields other than "
                "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if "
                "it was previously negative)",
                "field": "spec",
            }
        )
    if causes:
        md = new.get("metadata") or {}
        raise errors.invalid(kind, md.get("name", ""), causes, _group(new))


def _pod_spec_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    def strip(spec: dict[str, Any]) -> dict[str, Any]:
        s = {k: v for k, v in spec.items() if k not in ("activeDeadlineSeconds", "tolerations")}
        for key in ("containers", "initContainers"):
            if key in s:
                s[key] = [
                    {k: v for k, v in c.items() if k not in POD_MUTABLE_CONTAINER}
                    for c in s[key]
                    if isinstance(c, dict)
                ]
        return s

    return strip(old) != strip(new)


def _group(obj: Obj) -> str:
    av = obj.get("apiVersion", "")
    return av.split("/", 1)[0] if "/" in av else ""
