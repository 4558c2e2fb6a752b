"""Snapshot every object of a cluster to its state dir on shutdown and restore it on start,
so ``make run`` keeps its clusters (and resourceVersions keep increasing) across restarts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cluster import Cluster

FORMAT = 1


def save(cluster: Cluster) -> None:
    data = {
        "format": FORMAT,
        "rv": cluster.store.rv,
        "objects": {k: [e.obj for e in cluster.store.entries(k)] for k in cluster.store.data},
    }
    path = cluster.dir / "snapshot.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, separators=(",", ":")))
    tmp.replace(path)


def restore(cluster: Cluster) -> bool:
    path = cluster.dir / "snapshot.json"
    if not path.exists():
        return False
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return False
    if data.get("format") != FORMAT:
        return False
    store = cluster.store
    for key, objs in data["objects"].items():
        for o in objs:
            store.load(key, o)
    store.rv = max(store.rv, int(data["rv"]))
    store.history_floor = store.rv
    for crd in store.objects("apiextensions.k8s.io/customresourcedefinitions"):
        cluster.control.crd.register(crd)
    # Rebuild the ownership index the controllers rely on.
    for key in store.data:
        for e in store.entries(key):
            cluster.control._index_owners(key, "ADDED", e.obj, None)  # noqa: SLF001
    return True
