"""What goes into a backup and how each object is cleaned for re-creation (pure functions).

No Django, no cluster: objects are the JSON dicts a LIST returns (with `apiVersion` and
`kind` filled in). `backed_up_kinds` picks from discovery the kinds a backup lists,
`regenerated` says which objects the cluster makes by itself (so restoring them would
fight the controllers that own them), and `clean` strips what the cluster assigns so the
object can be created again, in the same namespace or another cluster.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SA_TOKEN = "kubernetes.io/service-account-token"

# Kinds the cluster regenerates wholesale (by group, kind): events, endpoints, revisions.
REGENERATED_KINDS = frozenset({
    ("", "Event"), ("events.k8s.io", "Event"), ("", "Endpoints"),
    ("discovery.k8s.io", "EndpointSlice"), ("apps", "ControllerRevision"),
})  # fmt: skip
# Kinds whose objects a controller makes when they carry a controller ownerReference
# (Deployment → ReplicaSet → Pod, StatefulSet/DaemonSet/Job → Pod, CronJob → Job).
CONTROLLED_KINDS = frozenset({("", "Pod"), ("apps", "ReplicaSet"), ("batch", "Job")})
# Metadata the apiserver assigns; never part of what a person asked for.
SERVER_METADATA = ("uid", "resourceVersion", "managedFields", "creationTimestamp", "generation",
                   "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")  # fmt: skip
# Annotations the PersistentVolume binder writes on a claim (they pin it to the old volume).
PVC_BINDER_ANNOTATIONS = ("pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller",
                          "volume.kubernetes.io/selected-node")  # fmt: skip
# Labels the Job controller adds to its pods' template and selector from the Job's uid.
JOB_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


@dataclass(frozen=True)
class KindRef:
    """One namespaced kind a cluster serves: where to LIST it and what it is called."""

    group: str
    version: str
    kind: str
    plural: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path_prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def collection_path(self, namespace: str) -> str:
        return f"{self.path_prefix}/namespaces/{namespace}/{self.plural}"

    def object_path(self, namespace: str, name: str) -> str:
        return f"{self.collection_path(namespace)}/{name}"


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def backed_up_kinds(resource_lists: Iterable[dict]) -> list[KindRef]:
    """The kinds to back up from discovery's APIResourceLists (one per group version, the
    preferred versions only): namespaced, listable and creatable (what `kubectl
    api-resources --namespaced --verbs=list` shows, less read-only views such as metrics,
    which can never be re-created), without subresources and regenerated kinds."""
    out: dict[tuple[str, str], KindRef] = {}
    for resource_list in resource_lists:
        group_version = resource_list.get("groupVersion") or ""
        group, _, version = group_version.rpartition("/")
        for res in resource_list.get("resources") or []:
            name, verbs = res.get("name", ""), set(res.get("verbs") or [])
            if "/" in name or not res.get("namespaced") or not {"list", "create"} <= verbs:
                continue
            key = (group, res["kind"])
            if key in REGENERATED_KINDS or key in out:
                continue
            out[key] = KindRef(group, version, res["kind"], name)
    return sorted(out.values(), key=lambda k: (k.group, k.kind))


def _controller_of(obj: dict) -> dict | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def regenerated(obj: dict) -> str:
    """Why the cluster makes this object by itself ("" when it belongs in the backup)."""
    kind, group = obj.get("kind", ""), group_of(obj.get("apiVersion", ""))
    meta = obj.get("metadata") or {}
    if (group, kind) in REGENERATED_KINDS:
        return "regenerated kind"
    if (group, kind) in CONTROLLED_KINDS and _controller_of(obj) is not None:
        return "made by its controller"
    if kind == "Secret" and group == "" and obj.get("type") == SA_TOKEN:
        return "service-account token"
    if kind == "ConfigMap" and group == "" and meta.get("name") == "kube-root-ca.crt":
        return "cluster CA bundle"
    if kind == "ServiceAccount" and group == "" and meta.get("name") == "default":
        return "default service account"
    return ""


def select(objects: Iterable[dict]) -> tuple[list[dict], list[dict]]:
    """(objects to keep, objects the cluster regenerates) from one namespace's LISTs."""
    kept, dropped = [], []
    for obj in objects:
        (dropped if regenerated(obj) else kept).append(obj)
    return kept, dropped


def uids_of(objects: Iterable[dict]) -> set[str]:
    return {uid for o in objects if (uid := (o.get("metadata") or {}).get("uid"))}


def _drop_keys(mapping: dict | None, keys: Iterable[str]) -> None:
    if mapping:
        for key in keys:
            mapping.pop(key, None)


def clean(obj: dict, dropped_uids: frozenset[str] | set[str] = frozenset()) -> dict:
    """A copy of `obj` fit for re-creation: server-assigned metadata, status and the
    last-applied annotation removed, ownerReferences to dropped objects removed, and the
    fields a cluster allocates per object (Service IPs and node ports, a claim's volume,
    a pod's node, a Job's uid-derived selector) left for the new cluster to fill in.
    Owner references to kept objects stay (with the old uid): a restore maps them."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.setdefault("metadata", {})
    _drop_keys(meta, SERVER_METADATA)
    annotations = meta.get("annotations")
    _drop_keys(annotations, (LAST_APPLIED,))
    refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") not in dropped_uids]
    if refs:
        meta["ownerReferences"] = refs
    else:
        meta.pop("ownerReferences", None)
    kind, group = out.get("kind", ""), group_of(out.get("apiVersion", ""))
    spec = out.get("spec")
    if isinstance(spec, dict) and group == "":
        if kind == "Service":
            if spec.get("clusterIP") != "None":  # a headless Service stays headless
                spec.pop("clusterIP", None)
                spec.pop("clusterIPs", None)
            spec.pop("healthCheckNodePort", None)
            for port in spec.get("ports") or []:
                port.pop("nodePort", None)
        elif kind == "PersistentVolumeClaim":
            spec.pop("volumeName", None)
            _drop_keys(annotations, PVC_BINDER_ANNOTATIONS)
        elif kind == "Pod":
            spec.pop("nodeName", None)
    if isinstance(spec, dict) and group == "batch" and kind == "Job":
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
        if labels and any(k in labels for k in JOB_UID_LABELS):
            _drop_keys(labels, JOB_UID_LABELS)
            spec.pop("selector", None)
    if annotations is not None and not annotations:
        meta.pop("annotations", None)
    return out
