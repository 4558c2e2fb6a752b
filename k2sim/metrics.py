"""Container memory metrics: Prometheus text at /metrics (the cAdvisor series K2Cloud's
dashboards use) and metrics.k8s.io PodMetrics/NodeMetrics. Values are deterministic per
container with a slow drift; Java-labelled pods carry a large page-cache share, which is why
usage - cache, not working_set, is the honest figure for them."""

from __future__ import annotations

import hashlib
import math
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from . import errors, quantity
from .resources import Resource

if TYPE_CHECKING:
    from .cluster import Cluster

DEFAULT_LIMIT = 512 * 2**20


def is_java(pod: dict[str, Any]) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return any(str(v).lower() == "java" or k.lower().endswith("java") for k, v in labels.items())


class Metrics:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def container_memory(
        self, pod: dict[str, Any], c: dict[str, Any], now: float | None = None
    ) -> dict[str, int]:
        now = time.time() if now is None else now
        lim = (
            quantity.parse(((c.get("resources") or {}).get("limits") or {}).get("memory", 0))
            or DEFAULT_LIMIT
        )
        seed = int(
            hashlib.sha256(f"{pod['metadata'].get('uid')}/{c['name']}".encode()).hexdigest()[:8], 16
        )
        base = 0.25 + (seed % 1000) / 1000 * 0.4
        drift = 0.05 * math.sin(now / 60 + seed % 17)
        usage = int(lim * min(0.95, max(0.05, base + drift)))
        cache_share = 0.6 if is_java(pod) else 0.1
        cache = int(usage * cache_share)
        inactive = int(cache * 0.3)
        return {
            "usage": usage,
            "cache": cache,
            "working_set": usage - inactive,
            "rss": usage - cache,
            "limit": int(lim),
        }

    def _running(self, ns: str | None = None) -> list[dict[str, Any]]:
        return [
            p
            for p in self.cluster.store.objects("/pods", ns)
            if (p.get("status") or {}).get("phase") == "Running"
        ]

    def prometheus(self) -> str:
        rows: dict[str, list[str]] = {
            "container_memory_usage_bytes": [],
            "container_memory_cache": [],
            "container_memory_working_set_bytes": [],
            "container_memory_rss": [],
            "container_spec_memory_limit_bytes": [],
        }
        now = time.time()
        for p in self._running():
            md = p["metadata"]
            for c in p["spec"].get("containers") or []:
                m = self.container_memory(p, c, now)
                lbl = (
                    f'{{namespace="{md["namespace"]}",pod="{md["name"]}",container="{c["name"]}",'
                    f'node="{p["spec"].get("nodeName", "")}",image="{c.get("image", "")}"}}'
                )
                rows["container_memory_usage_bytes"].append(
                    f"container_memory_usage_bytes{lbl} {m['usage']}"
                )
                rows["container_memory_cache"].append(f"container_memory_cache{lbl} {m['cache']}")
                rows["container_memory_working_set_bytes"].append(
                    f"container_memory_working_set_bytes{lbl} {m['working_set']}"
                )
                rows["container_memory_rss"].append(f"container_memory_rss{lbl} {m['rss']}")
                rows["container_spec_memory_limit_bytes"].append(
                    f"container_spec_memory_limit_bytes{lbl} {m['limit']}"
                )
        out = []
        for name, lines in rows.items():
            out.append(f"# HELP {name} {name.replace('_', ' ')} (k2sim)")
            out.append(f"# TYPE {name} gauge")
            out.extend(lines)
        return "\n".join(out) + "\n"

    def _pod_metrics(self, p: dict[str, Any]) -> dict[str, Any]:
        md = p["metadata"]
        ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        containers = []
        for c in p["spec"].get("containers") or []:
            m = self.container_memory(p, c)
            seed = int(
                hashlib.sha256(f"{md.get('uid')}/{c['name']}/cpu".encode()).hexdigest()[:6], 16
            )
            containers.append(
                {
                    "name": c["name"],
                    "usage": {
                        "cpu": f"{seed % 200 + 1}m",
                        "memory": f"{m['working_set'] // 1024}Ki",
                    },
                }
            )
        return {
            "kind": "PodMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {
                "name": md["name"],
                "namespace": md["namespace"],
                "creationTimestamp": ts,
                "labels": md.get("labels") or {},
            },
            "timestamp": ts,
            "window": "30s",
            "containers": containers,
        }

    def _node_metrics(self, n: dict[str, Any]) -> dict[str, Any]:
        name = n["metadata"]["name"]
        ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        mem = cpu = 0
        for p in self._running():
            if p["spec"].get("nodeName") == name:
                for c in p["spec"].get("containers") or []:
                    mem += self.container_memory(p, c)["working_set"]
                    cpu += 5
        return {
            "kind": "NodeMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": name, "creationTimestamp": ts},
            "timestamp": ts,
            "window": "30s",
            "usage": {"cpu": f"{cpu + 100}m", "memory": f"{(mem + 2**30) // 1024}Ki"},
        }

    def metrics_list(self, res: Resource, ns: str | None) -> dict[str, Any]:
        if res.plural == "pods":
            items = [self._pod_metrics(p) for p in self._running(ns)]
        else:
            items = [self._node_metrics(n) for n in self.cluster.store.objects("/nodes")]
        return {
            "kind": f"{res.kind}List",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {},
            "items": items,
        }

    def metrics_item(self, res: Resource, ns: str, name: str) -> dict[str, Any]:
        if res.plural == "pods":
            p = self.cluster.store.get("/pods", ns, name)
            if p is None or (p.get("status") or {}).get("phase") != "Running":
                raise errors.not_found("metrics.k8s.io", "pods", name)
            return self._pod_metrics(p)
        n = self.cluster.store.get("/nodes", "", name)
        if n is None:
            raise errors.not_found("metrics.k8s.io", "nodes", name)
        return self._node_metrics(n)
