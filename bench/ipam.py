"""IPAM cleanup at scale: one k2sim cluster with 5,000 live pods and 500 leaked Calico IPs
spread over 80 IPAMBlocks.

Loads pods through k2sim's own API layer (its kubelet assigns the IPs through its Calico
IPAM), deletes 500 chosen pods in 80 blocks with k2sim's leak rate at 1, registers the
cluster through the registration service and measures over HTTPS with K2Cloud's gateway:

* the scan (`run_cluster`, trigger "scan"): wall time and API calls (one paged LIST per
  kind), and that it found exactly the 500 leaked addresses;
* the baseline, the calicoctl way, in the same run: the same blocks and handles LISTed,
  then one GET per pod allocation to ask whether its pod is still there (what
  `calicoctl ipam check` style tools do per allocation); ratio baseline / scan;
* the release of all of them (`run_cluster` in release mode after the grace period,
  release bound raised to the leaked count): wall time, API calls, released count, and
  k2sim's own record of leaks afterwards (must be empty).

Usage (PostgreSQL and Redis from the test stack, as `make bench` runs it):

    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/ipam.py [--quick]

`--pods N --leaked N --blocks N --nodes N` change the shape; `--quick` is 500 / 50 / 8 / 6.
Without tools/test_stack.py it runs on a throwaway SQLite file and an embedded Redis.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import setup_django  # noqa: E402
from k2sim.testing import running_clusters  # noqa: E402

NAMESPACE = "bench"


def pod(name: str) -> dict:
    return {"metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"containers": [{"name": "main", "image": "nginx"}]}}  # fmt: skip


def load(h, count: int) -> None:
    def create() -> None:
        api = h.cluster.api
        api.create(api.res("", "namespaces"), "", {"metadata": {"name": NAMESPACE}})
        pods = api.res("", "pods")
        for i in range(count):
            api.create(pods, NAMESPACE, pod(f"p-{i}"))

    h.call(create)
    while h.call(lambda: sum(1 for p in h.cluster.store.objects("/pods")
                             if (p.get("status") or {}).get("podIP"))) < count:  # fmt: skip
        time.sleep(0.5)


def choose_leaks(h, leaked: int, blocks: int) -> list[str]:
    """`leaked` pod names spread round-robin over `blocks` IPAMBlocks."""

    def by_block() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for b in h.cluster.store.objects("crd.projectcalico.org/ipamblocks"):
            spec = b["spec"]
            names = [
                spec["attributes"][i]["secondary"]["pod"]
                for i in spec["allocations"]
                if i is not None
            ]
            out[b["metadata"]["name"]] = names
        return out

    groups = [
        names
        for _b, names in sorted(h.call(by_block).items())
        if len(names) >= leaked // blocks + 1
    ]
    if len(groups) < blocks:
        sys.exit(
            f"only {len(groups)} blocks hold enough pods for {leaked} leaks in {blocks} blocks"
        )
    groups = groups[:blocks]
    chosen: list[str] = []
    i = 0
    while len(chosen) < leaked:
        group = groups[i % blocks]
        chosen.append(group[i // blocks])
        i += 1
    return chosen


def leak(h, names: list[str]) -> None:
    def delete() -> None:
        h.cluster.cfg.ip_leak_rate = 1.0
        api = h.cluster.api
        for name in names:
            api.delete(api.res("", "pods"), NAMESPACE, name, grace=0)

    h.call(delete)
    gone = set(names)
    while h.call(lambda: sum(1 for p in h.cluster.store.objects("/pods")
                             if p["metadata"]["name"] in gone)):  # fmt: skip
        time.sleep(0.2)


def calicoctl_way(cluster) -> tuple[float, int, int]:
    """Blocks and handles LISTed, then one GET per pod allocation: (seconds, calls, leaked)."""
    from apps.clusters.gateway import CallStats
    from apps.ipam import cluster_ops
    from apps.ipam.classify import POD_HANDLE_PREFIX, pod_ips

    stats = CallStats()
    started = time.perf_counter()
    blocks = cluster_ops.list_all(cluster, "ipamblocks", stats=stats)
    cluster_ops.list_all(cluster, "ipamhandles", stats=stats)
    leaked = 0
    import ipaddress

    for block in blocks:
        spec = block["spec"]
        net = ipaddress.ip_network(spec["cidr"])
        for ordinal, index in enumerate(spec["allocations"]):
            if index is None:
                continue
            attr = spec["attributes"][index]
            if not str(attr.get("handle_id", "")).startswith(POD_HANDLE_PREFIX):
                continue
            owner = attr.get("secondary") or {}
            found = cluster_ops.get_pod(cluster, owner["namespace"], owner["pod"], stats=stats)
            if found is None or str(net[ordinal]) not in pod_ips(found):
                leaked += 1
    return time.perf_counter() - started, stats.attempts, leaked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=5000, help="live pods at the end")
    parser.add_argument("--leaked", type=int, default=500)
    parser.add_argument("--blocks", type=int, default=80, help="blocks the leaks are spread over")
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument(
        "--quick", action="store_true", help="500 pods, 50 leaked, 8 blocks, 6 nodes"
    )
    args = parser.parse_args()
    if args.quick:
        args.pods, args.leaked, args.blocks, args.nodes = 500, 50, 8, 6

    with tempfile.TemporaryDirectory(prefix="k2-ipam-bench-") as tmp:
        redis_server = setup_django(Path(tmp))
        try:
            with running_clusters(("bench-ipam",), state_dir=Path(tmp) / "k2sim", nodes=args.nodes,
                                  pod_ready_delay=0, log_interval=60) as sim:  # fmt: skip
                run(sim["bench-ipam"], args)
        finally:
            if redis_server:
                redis_server.stop()


def run(h, args) -> None:
    from apps.audit.actors import Actor
    from apps.ipam.choices import Mode, Trigger
    from apps.ipam.models import IpamPolicy, LeakCandidate
    from apps.ipam.services import policy_for, run_cluster
    from tests.helpers import register

    t0 = time.perf_counter()
    load(h, args.pods + args.leaked)
    names = choose_leaks(h, args.leaked, args.blocks)
    leak(h, names)
    truth = set(h.call(lambda: h.cluster.control.ipam.leaked_handles()))
    print(f"loaded {args.pods} live pods + {len(truth)} leaked IPs in {args.blocks} blocks "
          f"on {args.nodes} nodes in {time.perf_counter() - t0:.1f} s")  # fmt: skip

    cluster = register(h, ready=True)
    policy = policy_for(cluster)
    IpamPolicy.objects.filter(pk=policy.pk).update(mode=Mode.RELEASE, max_leaked_share=1.0,
                                                   release_bound=max(args.leaked, 1))  # fmt: skip
    actor = Actor.system("bench.ipam")

    started = time.perf_counter()
    scan = run_cluster(cluster, trigger=Trigger.SCAN, actor=actor)
    scan_s = time.perf_counter() - started
    found = {c["handle"] for c in scan.report["candidates"]}
    print(f"scan:        {scan_s:7.2f} s  {scan.report['api_calls']:6d} API calls  "
          f"{scan.counts['leaked']} leaked, {scan.counts['in_use']} in use, "
          f"{scan.report['blocks_scanned']} blocks; exactly k2sim's leaks: {found == truth}")  # fmt: skip

    base_s, base_calls, base_leaked = calicoctl_way(cluster)
    print(f"per-GET way: {base_s:7.2f} s  {base_calls:6d} API calls  {base_leaked} leaked")
    print(
        f"ratio (per-GET way / scan): {base_s / scan_s:.1f}x time, {base_calls / max(scan.report['api_calls'], 1):.0f}x calls"
    )

    for row in LeakCandidate.objects.filter(cluster=cluster):
        LeakCandidate.objects.filter(pk=row.pk).update(
            first_seen_at=row.first_seen_at - timedelta(hours=1)
        )
    started = time.perf_counter()
    release = run_cluster(cluster, trigger=Trigger.SCHEDULE, actor=actor)
    release_s = time.perf_counter() - started
    left = h.call(lambda: h.cluster.control.ipam.leaked_handles())
    print(f"release all: {release_s:7.2f} s  {release.report['api_calls']:6d} API calls  "
          f"{release.counts['released']} released, {release.counts['conflicts']} conflicts; "
          f"k2sim leaks left: {len(left)}  ({release.state})")  # fmt: skip


if __name__ == "__main__":
    main()
