"""The catalogue of served resource types: built-ins from the vendored discovery documents,
plus whatever CustomResourceDefinitions add at run time."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
K8S_CONTRACTS = CONTRACTS / "kubernetes"

# Groups whose objects k2sim stores (the rest of discovery is advertised but not needed).
SERVED_GROUPS = {
    ("", "v1"),
    ("apps", "v1"),
    ("batch", "v1"),
    ("networking.k8s.io", "v1"),
    ("rbac.authorization.k8s.io", "v1"),
    ("autoscaling", "v2"),
    ("autoscaling", "v1"),
    ("policy", "v1"),
    ("events.k8s.io", "v1"),
    ("coordination.k8s.io", "v1"),
    ("apiextensions.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
    ("storage.k8s.io", "v1"),
    ("scheduling.k8s.io", "v1"),
    ("node.k8s.io", "v1"),
    ("authorization.k8s.io", "v1"),
    ("authentication.k8s.io", "v1"),
}
PREFERRED = {"autoscaling": "v2"}
# Resources that are virtual (create-only reviews) or not backed by storage.
VIRTUAL = {"bindings", "tokenreviews", "selfsubjectreviews", "componentstatuses"}


@dataclass
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: list[str] = field(default_factory=list)
    verbs: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    subresources: dict[str, str] = field(default_factory=dict)  # name -> response kind
    crd_schema: dict[str, Any] | None = None
    printer_columns: list[dict[str, Any]] = field(default_factory=list)
    storage_version: bool = True

    @property
    def key(self) -> str:
        """Storage key: one object set per group/plural regardless of version."""
        return f"{self.group}/{self.plural}"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def discovery_entry(self) -> list[dict[str, Any]]:
        main = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": self.verbs,
        }
        if self.short_names:
            main["shortNames"] = self.short_names
        if self.categories:
            main["categories"] = self.categories
        out = [main]
        for sub, kind in self.subresources.items():
            verbs = ["get", "patch", "update"]
            if sub in ("log",):
                verbs = ["get"]
            if sub in ("exec",):
                verbs = ["create", "get"]
            if sub in ("binding", "eviction"):
                verbs = ["create"]
            grp, _, k = kind.rpartition("/")
            entry = {
                "name": f"{self.plural}/{sub}",
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": k,
                "verbs": verbs,
            }
            if grp:
                g, _, v = grp.partition(".")
                entry["group"], entry["version"] = (g, v) if v else ("", g)
            out.append(entry)
        return out


@cache
def _builtin_raw() -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    core = json.loads((K8S_CONTRACTS / "discovery" / "api__v1.json").read_text())
    subs: dict[str, dict[str, str]] = {}
    for r in core["resources"]:
        if "/" in r["name"]:
            base, sub = r["name"].split("/", 1)
            grp = r.get("group", "")
            kind = f"{grp}.{r.get('version', '')}/{r['kind']}" if r.get("group") else r["kind"]
            subs.setdefault(base, {})[sub] = kind
    for r in core["resources"]:
        if "/" not in r["name"]:
            r = dict(r)
            r["_subs"] = subs.get(r["name"], {})
            out.append(("", "v1", r))
    agg = json.loads((K8S_CONTRACTS / "discovery" / "aggregated_v2.json").read_text())
    for g in agg["items"]:
        gname = g["metadata"]["name"]
        for v in g["versions"]:
            for r in v["resources"]:
                rs = {}
                for s in r.get("subresources", []):
                    rk = s.get("responseKind", {})
                    if rk.get("group") or rk.get("version"):
                        rs[s["subresource"]] = f"{rk.get('group')}.{rk.get('version')}/{rk['kind']}"
                    else:
                        rs[s["subresource"]] = rk.get("kind", "")
                out.append(
                    (
                        gname,
                        v["version"],
                        {
                            "name": r["resource"],
                            "kind": r["responseKind"]["kind"],
                            "namespaced": r["scope"] == "Namespaced",
                            "singularName": r.get("singularResource", ""),
                            "shortNames": r.get("shortNames", []),
                            "verbs": r.get("verbs", []),
                            "categories": r.get("categories", []),
                            "_subs": rs,
                        },
                    )
                )
    return out


class Registry:
    """Per-cluster resource catalogue (CRDs differ per cluster)."""

    def __init__(self) -> None:
        self.by_gvr: dict[tuple[str, str, str], Resource] = {}
        self.group_versions: dict[str, list[str]] = {}
        for group, version, r in _builtin_raw():
            if (group, version) not in SERVED_GROUPS:
                continue
            self.add(
                Resource(
                    group=group,
                    version=version,
                    plural=r["name"],
                    kind=r["kind"],
                    namespaced=r["namespaced"],
                    singular=r.get("singularName", ""),
                    short_names=list(r.get("shortNames") or []),
                    verbs=list(r.get("verbs") or []),
                    categories=list(r.get("categories") or []),
                    subresources=dict(r.get("_subs") or {}),
                )
            )
        # The scale subresource kind needs a group for clients to decode it.
        for (g, _v, _p), res in self.by_gvr.items():
            if "scale" in res.subresources and g == "apps":
                res.subresources["scale"] = "autoscaling.v1/Scale"
        pods = self.by_gvr[("", "v1", "pods")]
        pods.subresources.setdefault("log", "Pod")
        # metrics.k8s.io is an aggregated API in real clusters; k2sim serves it directly.
        for plural, kind, ns in (("pods", "PodMetrics", True), ("nodes", "NodeMetrics", False)):
            self.add(Resource("metrics.k8s.io", "v1beta1", plural, kind, ns, verbs=["get", "list"]))

    def add(self, res: Resource) -> None:
        self.by_gvr[(res.group, res.version, res.plural)] = res
        versions = self.group_versions.setdefault(res.group, [])
        if res.version not in versions:
            versions.append(res.version)

    def remove_group_version(self, group: str, version: str, plural: str) -> None:
        self.by_gvr.pop((group, version, plural), None)
        if not any(g == group and v == version for g, v, _ in self.by_gvr):
            versions = self.group_versions.get(group, [])
            if version in versions:
                versions.remove(version)
            if not versions:
                self.group_versions.pop(group, None)

    def get(self, group: str, version: str, plural: str) -> Resource | None:
        return self.by_gvr.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> Resource | None:
        group, _, version = api_version.rpartition("/")
        for (g, v, _p), res in self.by_gvr.items():
            if g == group and v == version and res.kind == kind:
                return res
        return None

    def preferred_version(self, group: str) -> str:
        versions = self.group_versions.get(group, [])
        pref = PREFERRED.get(group)
        if pref in versions:
            return pref
        return versions[0] if versions else "v1"

    def resource_for_key(self, key: str) -> Resource | None:
        group, _, plural = key.partition("/")
        return self.get(group, self.preferred_version(group), plural)
