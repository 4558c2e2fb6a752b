"""Collect one namespace of one cluster: discover the kinds, LIST each, keep and clean
what belongs in a backup (apps/backups/manifest_rules.py decides, this module calls)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from apps.backups import cluster_ops
from apps.backups.manifest_rules import clean, select, uids_of


@dataclass
class Collected:
    """The cleaned objects of one cluster's namespace and what was left out."""

    cluster: str
    namespace: str
    objects: list[dict] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # kind -> objects the cluster regenerates

    @property
    def counts(self) -> dict[str, int]:
        """Objects per kind ("apiVersion/Kind" for non-core groups, "Kind" for core)."""
        return dict(sorted(Counter(kind_label(o) for o in self.objects).items()))


def kind_label(obj: dict) -> str:
    api_version = obj.get("apiVersion", "")
    return obj["kind"] if "/" not in api_version else f"{api_version.split('/')[0]}/{obj['kind']}"


def collect_namespace(cluster, namespace: str) -> Collected:
    """Every object worth re-creating in `namespace` on `cluster`, cleaned, in a stable
    order. Raises GatewayError when discovery or any LIST fails (no partial backups)."""
    out = Collected(cluster=cluster.name, namespace=namespace)
    listed: list[dict] = []
    for kind in cluster_ops.discover_kinds(cluster):
        listed.extend(cluster_ops.list_namespaced(cluster, kind, namespace))
    kept, dropped = select(listed)
    out.skipped.update(kind_label(obj) for obj in dropped)
    dropped_uids = uids_of(dropped)
    out.objects = sorted(
        (clean(obj, dropped_uids) for obj in kept),
        key=lambda o: (o.get("apiVersion", ""), o["kind"], o["metadata"]["name"]),
    )
    return out
