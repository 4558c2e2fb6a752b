"""Legacy discovery documents (/api, /apis, /apis/<g>/<v>) generated from the registry, so
CRDs appear as soon as they are established."""

from __future__ import annotations

from typing import Any

from .resources import Registry


def api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def resource_list(reg: Registry, group: str, version: str) -> dict[str, Any] | None:
    entries = []
    for (g, v, _p), res in sorted(reg.by_gvr.items()):
        if g == group and v == version:
            entries.extend(res.discovery_entry())
    if not entries:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }


def _group(reg: Registry, group: str) -> dict[str, Any]:
    versions = reg.group_versions[group]
    pref = reg.preferred_version(group)
    ordered = [pref] + [v for v in versions if v != pref]
    return {
        "name": group,
        "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in ordered],
        "preferredVersion": {"groupVersion": f"{group}/{pref}", "version": pref},
    }


def group_list(reg: Registry) -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(reg, g) for g in reg.group_versions if g],
    }


def group(reg: Registry, name: str) -> dict[str, Any] | None:
    if name not in reg.group_versions or not name:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(reg, name)}


AGGREGATED_CT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept: str) -> bool:
    """kubectl asks for apidiscovery.k8s.io/v2 first and falls back to the legacy documents."""
    return any(
        "as=APIGroupDiscoveryList" in part and "v=v2" in part and "v=v2beta1" not in part
        for part in accept.split(",")
    )


def _kind_ref(kind: str) -> dict[str, str]:
    grp, _, k = kind.rpartition("/")
    if grp:
        g, _, v = grp.partition(".")
        return (
            {"group": g, "version": v, "kind": k} if v else {"group": "", "version": g, "kind": k}
        )
    return {"group": "", "version": "", "kind": kind}


def _aggregated_resource(res: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resource": res.plural,
        "responseKind": {"group": "", "version": "", "kind": res.kind},
        "scope": "Namespaced" if res.namespaced else "Cluster",
        "singularResource": res.singular or res.kind.lower(),
        "verbs": res.verbs,
    }
    if res.short_names:
        out["shortNames"] = res.short_names
    if res.categories:
        out["categories"] = res.categories
    subs = []
    for entry in res.discovery_entry()[1:]:
        sub = entry["name"].split("/", 1)[1]
        subs.append(
            {
                "subresource": sub,
                "responseKind": _kind_ref(res.subresources[sub]),
                "verbs": entry["verbs"],
            }
        )
    if subs:
        out["subresources"] = subs
    return out


def aggregated(reg: Registry, legacy: bool) -> dict[str, Any]:
    """APIGroupDiscoveryList for /api (legacy=True, the core group) or /apis."""
    items = []
    groups = [""] if legacy else [g for g in reg.group_versions if g]
    for g in groups:
        pref = reg.preferred_version(g)
        versions = [pref] + [v for v in reg.group_versions.get(g, []) if v != pref]
        vitems = []
        for v in versions:
            resources = [
                _aggregated_resource(res)
                for (rg, rv, _p), res in sorted(reg.by_gvr.items())
                if rg == g and rv == v
            ]
            vitems.append({"version": v, "resources": resources, "freshness": "Current"})
        items.append({"metadata": {"name": g} if g else {}, "versions": vitems})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }
