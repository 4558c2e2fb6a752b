"""Calico-style IP address management stored as crd.projectcalico.org/v1 objects: an
IPAMBlock (/26) per node affinity, an IPAMHandle per pod, BlockAffinities. A per-cluster
leak rate makes some deleted pods keep their handle and allocation, as in production."""

from __future__ import annotations

import ipaddress
import random
from functools import lru_cache
from typing import Any

from ..errors import ApiError
from ..resources import Resource
from ..storage import Obj

GROUP = "crd.projectcalico.org"
BLOCK_SIZE = 26
HANDLE_PREFIX = "k8s-pod-network."


def _res(plural: str, kind: str) -> Resource:
    # Private descriptors: IPAM writes its objects whether or not the CRDs are served yet,
    # exactly like Calico's own datastore; they become visible once the CRDs exist.
    return Resource(GROUP, "v1", plural, kind, False, verbs=["get", "list"])


BLOCKS = _res("ipamblocks", "IPAMBlock")
HANDLES = _res("ipamhandles", "IPAMHandle")
AFFINITIES = _res("blockaffinities", "BlockAffinity")
POOLS = _res("ippools", "IPPool")


@lru_cache(maxsize=1024)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr)


def block_name(cidr: str) -> str:
    return cidr.replace(".", "-").replace("/", "-")


class IPAM:
    def __init__(self, cp: Any):
        self.cp = cp
        self.rng = random.Random(cp.cluster.name)
        self.pod_handles: dict[str, str] = {}  # pod uid -> handle name

    @property
    def api(self) -> Any:
        return self.cp.cluster.api

    def ensure_pool(self) -> None:
        cidr = self.cp.cluster.cfg.pod_cidr
        if self.api.find(POOLS, "", "default-ipv4-ippool") is None:
            self.api.create(
                POOLS,
                "",
                {
                    "metadata": {"name": "default-ipv4-ippool"},
                    "spec": {
                        "cidr": cidr,
                        "blockSize": BLOCK_SIZE,
                        "ipipMode": "Never",
                        "vxlanMode": "CrossSubnet",
                        "natOutgoing": True,
                        "nodeSelector": "all()",
                        "allowedUses": ["Workload", "Tunnel"],
                    },
                },
            )

    def _blocks_for(self, node: str) -> list[Obj]:
        return [
            b
            for b in self.api.store.objects(BLOCKS.key)
            if b["spec"].get("affinity") == f"host:{node}"
        ]

    def _claim_block(self, node: str) -> Obj:
        net = ipaddress.ip_network(self.cp.cluster.cfg.pod_cidr)
        used = {b["spec"]["cidr"] for b in self.api.store.objects(BLOCKS.key)}
        for sub in net.subnets(new_prefix=BLOCK_SIZE):
            cidr = str(sub)
            if cidr in used:
                continue
            size = sub.num_addresses
            block = {
                "metadata": {"name": block_name(cidr)},
                "spec": {
                    "cidr": cidr,
                    "affinity": f"host:{node}",
                    "allocations": [None] * size,
                    "unallocated": list(range(size)),
                    "attributes": [],
                    "deleted": False,
                    "sequenceNumber": 0,
                    "sequenceNumberForAllocation": {},
                    "strictAffinity": False,
                },
            }
            self.api.create(
                AFFINITIES,
                "",
                {
                    "metadata": {"name": f"{node}-{block_name(cidr)}"},
                    "spec": {
                        "cidr": cidr,
                        "node": node,
                        "state": "confirmed",
                        "deleted": "false",
                        "type": "host",
                    },
                },
            )
            return self.api.create(BLOCKS, "", block)
        raise ApiError(500, "InternalError", "IPAM: pod CIDR exhausted")

    def assign(self, pod: Obj) -> str:
        md = pod["metadata"]
        node = pod["spec"]["nodeName"]
        existing = self.pod_handles.get(md["uid"])
        if existing and (pod.get("status") or {}).get("podIP"):
            return pod["status"]["podIP"]
        blocks = [b for b in self._blocks_for(node) if b["spec"]["unallocated"]]
        block = blocks[0] if blocks else self._claim_block(node)
        spec = block["spec"]
        ordinal = spec["unallocated"][0]
        handle = f"{HANDLE_PREFIX}{md['uid'].replace('-', '')}"
        attr = {
            "handle_id": handle,
            "secondary": {
                "namespace": md.get("namespace", ""),
                "node": node,
                "pod": md["name"],
                "timestamp": md.get("creationTimestamp", ""),
            },
        }
        cidr = spec["cidr"]

        def take(o: Obj) -> None:
            s = o["spec"]
            s["unallocated"] = [u for u in s["unallocated"] if u != ordinal]
            s["attributes"].append(attr)
            s["allocations"][ordinal] = len(s["attributes"]) - 1
            s["sequenceNumber"] = s.get("sequenceNumber", 0) + 1

        self.api.mutate(BLOCKS, "", block["metadata"]["name"], take)
        self.api.create(
            HANDLES,
            "",
            {
                "metadata": {"name": handle},
                "spec": {"handleID": handle, "block": {cidr: 1}, "deleted": False},
            },
        )
        self.pod_handles[md["uid"]] = handle
        return str(_network(cidr)[ordinal])

    def release(self, pod: Obj) -> None:
        uid = pod["metadata"].get("uid", "")
        handle = self.pod_handles.pop(uid, None) or f"{HANDLE_PREFIX}{uid.replace('-', '')}"
        if self.api.store.get(HANDLES.key, "", handle) is None:
            return
        rate = self.cp.cluster.cfg.ip_leak_rate
        if rate > 0 and self.rng.random() < rate:
            return  # leaked: handle and allocation stay behind
        self.free_handle(handle)

    def free_handle(self, handle: str) -> bool:
        h = self.api.store.get(HANDLES.key, "", handle)
        if h is None:
            return False
        for cidr in h["spec"].get("block") or {}:
            name = block_name(cidr)

            def drop(o: Obj) -> None:
                s = o["spec"]
                idx = next(
                    (i for i, a in enumerate(s["attributes"]) if a.get("handle_id") == handle), None
                )
                if idx is None:
                    return
                for ordinal, a in enumerate(s["allocations"]):
                    if a == idx:
                        s["allocations"][ordinal] = None
                        s["unallocated"].append(ordinal)
                    elif a is not None and a > idx:
                        s["allocations"][ordinal] = a - 1
                s["attributes"].pop(idx)
                s["sequenceNumber"] = s.get("sequenceNumber", 0) + 1

            self.api.mutate(BLOCKS, "", name, drop)
        self.api.store.remove(HANDLES.key, "", handle)
        return True

    def leaked_handles(self) -> list[str]:
        """Handles whose pod no longer exists (what the later cleanup job must find)."""
        live = {
            p["metadata"].get("uid", "").replace("-", "") for p in self.api.store.objects("/pods")
        }
        return sorted(
            h["metadata"]["name"]
            for h in self.api.store.objects(HANDLES.key)
            if h["metadata"]["name"].removeprefix(HANDLE_PREFIX) not in live
        )
