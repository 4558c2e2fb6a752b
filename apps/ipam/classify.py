"""Classification of every Calico IPAM allocation of a cluster: a pure function over the
LIST results of one scan (IPPools, IPAMBlocks, IPAMHandles, BlockAffinities, pods, nodes).

The layout is Calico's own (contracts/calico, libcalico-go's AllocationBlock): a block
has `allocations` (one entry per ordinal: null or an index into `attributes`),
`unallocated` (free ordinals) and `attributes` (`handle_id` plus `secondary`, where the
CNI plugin writes `namespace`, `pod`, `node` and `timestamp`). A pod's handle is
`k8s-pod-network.<containerID>`; tunnel addresses (IPIP, VXLAN, WireGuard) and reserved
addresses carry other handles and are never candidates.

An allocation is
- in use: its pod exists, shows that IP (or no IP yet: the CNI may be mid-way), or some
  other live pod shows the address;
- a leaked candidate: its handle names a pod that no longer exists, or a pod that now has
  another IP (re-created with the same name, or moved to another node);
- not a pod: a non-pod handle (never touched);
- without handle: a pod allocation whose IPAMHandle is missing (reported, not released);
- malformed: it points at no attribute, or its block is inconsistent (reported; nothing
  in that block is written).
A candidate may still be held back from release by its pool (disabled, or not one of
K2Cloud's pools for the cluster): `blocked_by` says why.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field

from apps.ipam.choices import IN_USE, LEAKED, MALFORMED, NO_HANDLE, NOT_POD

POD_HANDLE_PREFIX = "k8s-pod-network."


@dataclass(frozen=True)
class Allocation:
    ip: str
    block: str  # the IPAMBlock's object name
    cidr: str
    ordinal: int
    handle: str
    namespace: str
    pod: str
    node: str
    klass: str
    reason: str
    pool: str = ""
    blocked_by: str = ""

    @property
    def releasable(self) -> bool:
        return self.klass == LEAKED and not self.blocked_by

    @property
    def key(self) -> str:
        return f"{self.ip}|{self.handle}"


@dataclass
class BlockUse:
    name: str
    cidr: str
    node: str
    pool: str
    size: int
    allocated: int = 0
    leaked: int = 0
    malformed: bool = False

    @property
    def leaked_percent(self) -> float:
        return round(100 * self.leaked / self.size, 1) if self.size else 0.0

    @property
    def used_percent(self) -> float:
        return round(100 * self.allocated / self.size, 1) if self.size else 0.0


@dataclass
class PoolUse:
    name: str
    cidr: str
    disabled: bool
    managed: bool  # one of K2Cloud's pools for this cluster (releases allowed)
    size: int
    blocks: list[BlockUse] = field(default_factory=list)

    @property
    def allocated(self) -> int:
        return sum(b.allocated for b in self.blocks)

    @property
    def leaked(self) -> int:
        return sum(b.leaked for b in self.blocks)

    @property
    def leaked_share(self) -> float:
        """Leaked candidates among the pool's allocated addresses (0..1)."""
        return self.leaked / self.allocated if self.allocated else 0.0

    def as_dict(self) -> dict:
        return {
            "name": self.name, "cidr": self.cidr, "disabled": self.disabled,
            "managed": self.managed, "size": self.size, "allocated": self.allocated,
            "leaked": self.leaked, "leaked_share": round(self.leaked_share, 4),
            "blocks": [
                {"name": b.name, "cidr": b.cidr, "node": b.node, "size": b.size,
                 "allocated": b.allocated, "leaked": b.leaked, "malformed": b.malformed}
                for b in self.blocks
            ],
        }  # fmt: skip


@dataclass
class Scan:
    allocations: list[Allocation] = field(default_factory=list)
    pools: list[PoolUse] = field(default_factory=list)
    orphan_handles: list[dict] = field(default_factory=list)
    stale_affinities: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    malformed_blocks: set[str] = field(default_factory=set)
    block_count: int = 0

    @property
    def candidates(self) -> list[Allocation]:
        return [a for a in self.allocations if a.klass == LEAKED]

    @property
    def releasable(self) -> list[Allocation]:
        return [
            a for a in self.allocations if a.releasable and a.block not in self.malformed_blocks
        ]

    @property
    def deletable_handles(self) -> list[str]:
        return sorted({o["handle"] for o in self.orphan_handles if o.get("deletable")})

    def counts(self) -> dict[str, int]:
        by_class = Counter(a.klass for a in self.allocations)
        return {k: by_class.get(k, 0) for k in (IN_USE, LEAKED, NOT_POD, NO_HANDLE, MALFORMED)}


def pod_ips(pod: dict) -> set[str]:
    status = pod.get("status") or {}
    ips = {entry.get("ip") for entry in status.get("podIPs") or [] if entry.get("ip")}
    if status.get("podIP"):
        ips.add(status["podIP"])
    return ips


def pod_key(pod: dict) -> tuple[str, str]:
    md = pod.get("metadata") or {}
    return md.get("namespace", ""), md.get("name", "")


def _network(cidr: str):
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except (TypeError, ValueError):
        return None


def _pools(pools: list[dict], managed_names: list[str] | None) -> list[tuple[PoolUse, object]]:
    out = []
    for pool in pools:
        spec = pool.get("spec") or {}
        net = _network(spec.get("cidr", ""))
        if net is None:
            continue
        name = (pool.get("metadata") or {}).get("name", "")
        disabled = bool(spec.get("disabled"))
        managed = not managed_names or name in managed_names
        out.append((PoolUse(name, str(net), disabled, managed, net.num_addresses), net))
    return out


def _block_problems(name: str, spec: dict, size: int) -> list[str]:
    """What makes a block unsafe to rewrite, in words (empty when it is consistent)."""
    problems = []
    allocations = spec.get("allocations")
    unallocated = spec.get("unallocated")
    attributes = spec.get("attributes")
    if not isinstance(allocations, list) or len(allocations) != size:
        problems.append(f"block {name}: {len(allocations) if isinstance(allocations, list) else 'no'} "
                        f"allocations for {size} addresses")  # fmt: skip
        return problems
    if not isinstance(attributes, list):
        problems.append(f"block {name}: attributes is not a list")
        return problems
    if not isinstance(unallocated, list) or any(
        not isinstance(o, int) or not 0 <= o < size for o in unallocated
    ):
        problems.append(f"block {name}: unallocated holds ordinals outside the block")
        return problems
    if len(set(unallocated)) != len(unallocated):
        problems.append(f"block {name}: unallocated lists an ordinal twice")
    for ordinal in unallocated:
        if allocations[ordinal] is not None:
            problems.append(f"block {name}: ordinal {ordinal} is both allocated and unallocated")
            break
    for ordinal, index in enumerate(allocations):
        if index is None:
            continue
        if (
            not isinstance(index, int)
            or isinstance(index, bool)
            or not 0 <= index < len(attributes)
        ):
            problems.append(f"block {name}: allocation {ordinal} points at attribute {index!r} "
                            f"of {len(attributes)}")  # fmt: skip
    return problems


def classify(*, pools: list[dict], blocks: list[dict], handles: list[dict],
             affinities: list[dict], pods: list[dict], nodes: list[dict],
             managed_pools: list[str] | None = None) -> Scan:  # fmt: skip
    """Every allocation of every block, classified (see the module docstring)."""
    scan = Scan(block_count=len(blocks))
    pool_nets = _pools(pools, managed_pools)
    scan.pools = [p for p, _ in pool_nets]
    by_pod = {pod_key(p): p for p in pods}
    live_ips: dict[str, tuple[str, str]] = {}
    for pod in pods:
        for ip in pod_ips(pod):
            live_ips[ip] = pod_key(pod)
    handle_names = {(h.get("metadata") or {}).get("name", "") for h in handles}
    handle_names |= {(h.get("spec") or {}).get("handleID", "") for h in handles}
    node_names = {(n.get("metadata") or {}).get("name", "") for n in nodes}
    handle_use: Counter[tuple[str, str]] = Counter()  # (handle, block cidr) -> allocations

    for block in sorted(blocks, key=_block_order):
        name = (block.get("metadata") or {}).get("name", "")
        spec = block.get("spec") or {}
        net = _network(spec.get("cidr", ""))
        if net is None:
            scan.problems.append(f"block {name}: cidr {spec.get('cidr')!r} is not a network")
            scan.malformed_blocks.add(name)
            continue
        pool, pool_net = next(((p, n) for p, n in pool_nets if net.subnet_of(n)), (None, None))
        affinity = spec.get("affinity") or ""
        use = BlockUse(name, str(net), affinity.removeprefix("host:"),
                       pool.name if pool else "", net.num_addresses)  # fmt: skip
        if pool is not None:
            pool.blocks.append(use)
        problems = _block_problems(name, spec, net.num_addresses)
        if problems:
            scan.problems.extend(problems)
            scan.malformed_blocks.add(name)
            use.malformed = True
        allocations = spec.get("allocations") if isinstance(spec.get("allocations"), list) else []
        attributes = spec.get("attributes") if isinstance(spec.get("attributes"), list) else []
        for ordinal, index in enumerate(allocations[: net.num_addresses]):
            if index is None:
                continue
            use.allocated += 1
            ip = str(net[ordinal])
            ok = isinstance(index, int) and not isinstance(index, bool)
            attr = attributes[index] if ok and 0 <= index < len(attributes) else None
            if not isinstance(attr, dict):
                scan.allocations.append(Allocation(ip, name, str(net), ordinal, "", "", "", "",
                                                   MALFORMED, "points at no attribute",
                                                   use.pool))  # fmt: skip
                continue
            handle = str(attr.get("handle_id") or "").split("\r")[0]
            owner = attr.get("secondary") or {}
            if handle:
                handle_use[(handle, str(net))] += 1
            ns, pod_name, node = (
                owner.get("namespace", ""),
                owner.get("pod", ""),
                owner.get("node", ""),
            )
            klass, reason = _decide(ip, handle, ns, pod_name, node, by_pod, live_ips, handle_names)
            blocked = ""
            if klass == LEAKED:
                if pool is None:
                    blocked = "outside every IPPool"
                elif pool.disabled:
                    blocked = f"pool {pool.name} is disabled"
                elif not pool.managed:
                    blocked = f"pool {pool.name} is not one of K2Cloud's pools for this cluster"
                use.leaked += 1
            scan.allocations.append(Allocation(ip, name, str(net), ordinal, handle, ns, pod_name,
                                               node, klass, reason, use.pool, blocked))  # fmt: skip
        del pool_net

    block_cidrs = {str(_network((b.get("spec") or {}).get("cidr", ""))) for b in blocks}
    for h in sorted(handles, key=lambda h: (h.get("metadata") or {}).get("name", "")):
        hname = (h.get("metadata") or {}).get("name", "")
        hid = (h.get("spec") or {}).get("handleID") or hname
        counts = (h.get("spec") or {}).get("block") or {}
        used = sum(handle_use.get((hid, c), 0) + (handle_use.get((hname, c), 0) if hid != hname else 0)
                   for c in block_cidrs)  # fmt: skip
        # A pod handle with no allocation anywhere holds no address: deleting it (after the
        # grace period) frees nothing a pod could be using. Other handles are only reported.
        deletable = not used and hname.startswith(POD_HANDLE_PREFIX)
        for cidr in counts:
            if cidr not in block_cidrs:
                scan.orphan_handles.append({"handle": hname, "deletable": deletable,
                                            "reason": f"counts block {cidr}, which does not exist"})  # fmt: skip
        if not used and all(c in block_cidrs for c in counts):
            scan.orphan_handles.append({"handle": hname, "reason": "has no allocation",
                                        "deletable": deletable})  # fmt: skip
    for aff in affinities:
        spec = aff.get("spec") or {}
        node = spec.get("node", "")
        if node and node not in node_names:
            scan.stale_affinities.append({"name": (aff.get("metadata") or {}).get("name", ""),
                                          "node": node, "cidr": spec.get("cidr", "")})  # fmt: skip
    return scan


def _block_order(block: dict) -> tuple:
    """Blocks in address order (by name would put 10.0.0.128 before 10.0.0.64)."""
    net = _network((block.get("spec") or {}).get("cidr", ""))
    name = (block.get("metadata") or {}).get("name", "")
    return (0, net.version, int(net.network_address), name) if net else (1, 0, 0, name)


def _decide(ip, handle, ns, pod_name, node, by_pod, live_ips, handle_names) -> tuple[str, str]:
    if not handle.startswith(POD_HANDLE_PREFIX):
        return NOT_POD, f"handle {handle or '(none)'} is not a Kubernetes pod's"
    if not ns or not pod_name:
        return MALFORMED, "the pod handle's attributes name no pod"
    holder = live_ips.get(ip)
    pod = by_pod.get((ns, pod_name))
    if pod is not None:
        ips = pod_ips(pod)
        if ip in ips or not ips:
            return IN_USE, "" if ips else "the pod has no IP yet"
    if holder is not None:
        return IN_USE, f"the address is on live pod {holder[0]}/{holder[1]}"
    if handle not in handle_names:
        return NO_HANDLE, f"IPAMHandle {handle} is missing"
    if pod is None:
        return LEAKED, f"pod {ns}/{pod_name} no longer exists"
    now_node = (pod.get("spec") or {}).get("nodeName", "")
    ips = ", ".join(sorted(pod_ips(pod)))
    if node and now_node and now_node != node:
        return LEAKED, f"pod {ns}/{pod_name} is now on node {now_node} with {ips}"
    return LEAKED, f"pod {ns}/{pod_name} now has {ips}"


def still_gone(alloc: Allocation, pod: dict | None) -> str:
    """The fresh-GET proof: "" when the pod read right now does not hold the address,
    else why the release is held back."""
    if pod is None:
        return ""
    ips = pod_ips(pod)
    if not ips:
        return f"pod {alloc.namespace}/{alloc.pod} exists and has no IP yet"
    if alloc.ip in ips:
        return f"pod {alloc.namespace}/{alloc.pod} still has {alloc.ip}"
    return ""
