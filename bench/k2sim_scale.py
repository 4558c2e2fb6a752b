"""k2sim at K2Cloud's seed scale: 4 clusters, 550 namespaces, 4,900 Deployments, 5,000 pods.

Loads the objects through k2sim's own API layer (so the simulated controllers create the
ReplicaSets, pods, IPAM objects and events, as in a real cluster), then measures over HTTPS
with the official Python client:

* RSS of the whole process (target < 2 GiB),
* LIST of all pods of one cluster holding 5,000 pods (target < 200 ms), against two
  baselines from the same run: a bare GET /version, and json.dumps of the same pods,
* watch event throughput (events/s delivered to a client watch),
* ``kubectl get pods -A`` at that size.

Phase 1 spreads the seed evenly over the clusters; phase 2 scales the "prod" cluster's
Deployments up until that one cluster holds 5,000 pods (the LIST target), while a client
watch counts the pod events. Usage: ``.venv/bin/python bench/k2sim_scale.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kubernetes import client  # noqa: E402

from k2sim.testing import running_clusters  # noqa: E402

CLUSTERS = ("prod", "test", "ml", "private")


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def deployment(name: str, replicas: int) -> dict:
    labels = {"app": name, "app.kubernetes.io/managed-by": "k2cloud", "k2cloud.io/app": name}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "harbor.local/k2/app:1.0",
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "32Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                        }
                    ]
                },
            },
        },
    }


def best_of(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small smoke size (1/20)")
    ap.add_argument("--namespaces", type=int, default=550)
    ap.add_argument("--deployments", type=int, default=4900)
    ap.add_argument("--pods", type=int, default=5000)
    ap.add_argument(
        "--prod-pods", type=int, default=5000, help="pods in one cluster for the LIST target"
    )
    args = ap.parse_args()
    if args.quick:
        args.namespaces, args.deployments, args.pods, args.prod_pods = 28, 245, 250, 500
    rows: list[tuple[str, str, str]] = []
    t_start = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="k2sim-bench-") as tmp,
        running_clusters(
            CLUSTERS, state_dir=tmp, nodes=50, pod_ready_delay=0, install_calico=True
        ) as sim,
    ):
        base_rss = rss_mib()
        # -- phase 1: the seed, spread over the clusters -----------------------------------
        extra = args.pods - args.deployments  # deployments that get a second replica
        for ci, name in enumerate(CLUSTERS):
            h = sim[name]

            def load(h=h, ci=ci) -> None:
                api = h.cluster.api
                nsr, dr = api.res("", "namespaces"), api.res("apps", "deployments")
                my_ns = [f"space-{i}" for i in range(ci, args.namespaces, len(CLUSTERS))]
                for n in my_ns:
                    api.create(
                        nsr, "", {"metadata": {"name": n, "labels": {"k2cloud.io/space": n}}}
                    )
                for j in range(ci, args.deployments, len(CLUSTERS)):
                    replicas = 2 if j < extra else 1
                    api.create(
                        dr,
                        my_ns[(j // len(CLUSTERS)) % len(my_ns)],
                        deployment(f"app-{j}", replicas),
                    )

            h.call(load)
        target = args.pods

        def running(h) -> int:
            return h.call(
                lambda: sum(
                    1
                    for p in h.cluster.store.objects("/pods")
                    if (p.get("status") or {}).get("phase") == "Running"
                )
            )

        while sum(running(sim[n]) for n in CLUSTERS) < target:
            time.sleep(0.5)
        t_loaded = time.perf_counter() - t_start
        counts = {
            n: sim[n].call(
                lambda n=n: {
                    k: sim[n].cluster.store.count(k)
                    for k in (
                        "/namespaces",
                        "apps/deployments",
                        "apps/replicasets",
                        "/pods",
                        "/events",
                    )
                }
            )
            for n in CLUSTERS
        }
        total = {k: sum(c[k] for c in counts.values()) for k in counts["prod"]}
        rss_seed = rss_mib()
        rows += [
            (
                "load seed (4 clusters, via controllers)",
                f"{t_loaded:.1f} s",
                f"{total['/namespaces']} ns, {total['apps/deployments']} deploy, {total['apps/replicasets']} rs, {total['/pods']} pods, {total['/events']} events",
            ),
            (
                "RSS after seed load",
                f"{rss_seed:.0f} MiB",
                f"target < 2048 MiB; {base_rss:.0f} MiB before loading",
            ),
        ]
        # -- phase 2: one cluster with 5,000 pods, watched while it scales -------------------
        prod = sim["prod"]
        core = client.CoreV1Api(prod.api_client())
        have = counts["prod"]["/pods"]
        rv = core.list_pod_for_all_namespaces(limit=1).metadata.resource_version
        received = {"n": 0, "first": 0.0, "last": 0.0}
        stop = threading.Event()

        def watcher() -> None:
            wcore = client.CoreV1Api(prod.api_client())
            resp = wcore.list_pod_for_all_namespaces(
                watch=True, resource_version=rv, timeout_seconds=120, _preload_content=False
            )
            for line in resp:
                if not line.strip():
                    continue
                json.loads(line)
                now = time.perf_counter()
                if not received["n"]:
                    received["first"] = now
                received["n"] += 1
                received["last"] = now
                if stop.is_set():
                    break
            resp.release_conn()

        wt = threading.Thread(target=watcher, daemon=True)
        wt.start()
        time.sleep(0.5)

        def scale_up() -> None:
            api = prod.cluster.api
            dr = api.res("apps", "deployments")
            deps = sorted(
                api.store.objects("apps/deployments"), key=lambda d: d["metadata"]["name"]
            )
            need = args.prod_pods - have
            i = 0
            while need > 0 and deps:
                d = deps[i % len(deps)]
                md = d["metadata"]
                api.mutate(
                    dr,
                    md["namespace"],
                    md["name"],
                    lambda o: o["spec"].__setitem__("replicas", o["spec"]["replicas"] + 1),
                )
                need -= 1
                i += 1

        t_scale = time.perf_counter()
        prod.call(scale_up)
        while running(prod) < args.prod_pods:
            time.sleep(0.25)
        t_scaled = time.perf_counter() - t_scale
        time.sleep(1.0)
        stop.set()
        n_ev = received["n"]
        span = max(received["last"] - received["first"], 1e-6)
        rows.append(
            (
                f"scale prod to {args.prod_pods:,} pods (create+schedule+start)",
                f"{t_scaled:.1f} s",
                f"{args.prod_pods - have} new pods",
            )
        )
        rows.append(
            (
                "watch events delivered to one client watch",
                f"{n_ev / span:,.0f} ev/s",
                f"{n_ev} pod events in {span:.1f} s (paced by the controllers)",
            )
        )
        # burst throughput: events produced faster than the client can read them
        cm_rv = core.list_namespaced_config_map("default").metadata.resource_version
        burst = 20000 if not args.quick else 4000

        def make_burst() -> None:
            api = prod.cluster.api
            cr = api.res("", "configmaps")
            api.create(cr, "default", {"metadata": {"name": "burst"}, "data": {"n": "0"}})
            for i in range(burst - 1):
                api.mutate(
                    cr, "default", "burst", lambda o, i=i: o["data"].__setitem__("n", str(i + 1))
                )

        got = {"n": 0}
        done = threading.Event()

        def burst_watch() -> None:
            wcore = client.CoreV1Api(prod.api_client())
            resp = wcore.list_namespaced_config_map(
                "default",
                watch=True,
                resource_version=cm_rv,
                timeout_seconds=60,
                _preload_content=False,
            )
            for line in resp:
                if line.strip():
                    json.loads(line)
                    got["n"] += 1
                    if got["n"] >= burst:
                        break
            done.set()
            resp.release_conn()

        bt = threading.Thread(target=burst_watch, daemon=True)
        bt.start()
        time.sleep(0.3)
        t_b = time.perf_counter()
        prod.call(make_burst)
        done.wait(60)
        t_burst = time.perf_counter() - t_b
        rows.append(
            (
                "watch burst: produce + deliver + json-decode",
                f"{got['n'] / t_burst:,.0f} ev/s",
                f"{got['n']} MODIFIED events in {t_burst:.2f} s",
            )
        )
        # -- LIST at 5,000 pods ---------------------------------------------------------------
        n_pods = len(
            json.loads(core.list_pod_for_all_namespaces(_preload_content=False).data)["items"]
        )
        t_list = best_of(lambda: core.list_pod_for_all_namespaces(_preload_content=False).data)
        t_list_parse = best_of(
            lambda: json.loads(core.list_pod_for_all_namespaces(_preload_content=False).data), 3
        )
        t_typed = best_of(lambda: core.list_pod_for_all_namespaces(), 1)
        t_version = best_of(lambda: client.VersionApi(prod.api_client()).get_code(), 20)
        pods = prod.call(lambda: [dict(p) for p in prod.cluster.store.objects("/pods")])
        t_dumps = best_of(lambda: json.dumps(pods), 3)
        t_label = best_of(
            lambda: (
                core.list_pod_for_all_namespaces(
                    label_selector="app=app-0", _preload_content=False
                ).data
            )
        )
        rows += [
            (
                f"LIST {n_pods} pods, one cluster (HTTPS, raw body)",
                f"{t_list * 1000:.0f} ms",
                f"target < 200 ms; {t_list / t_dumps:.2f}x json.dumps of the same pods ({t_dumps * 1000:.0f} ms); {t_list / t_version:.1f}x GET /version ({t_version * 1000:.1f} ms)",
            ),
            (
                f"LIST {n_pods} pods + json.loads",
                f"{t_list_parse * 1000:.0f} ms",
                "what a raw-JSON consumer pays",
            ),
            (
                f"LIST {n_pods} pods, typed models (official client)",
                f"{t_typed * 1000:.0f} ms",
                "client-side model building dominates",
            ),
            (
                f"LIST pods with labelSelector (1 match of {n_pods:,})",
                f"{t_label * 1000:.1f} ms",
                "",
            ),
        ]
        env = dict(
            os.environ, KUBECONFIG=str(prod.kubeconfig_path), KUBECACHEDIR=str(Path(tmp) / "kc")
        )
        t = time.perf_counter()
        r = subprocess.run(
            ["kubectl", "get", "pods", "-A", "--no-headers"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        t_kubectl = time.perf_counter() - t
        lines = len(r.stdout.splitlines())
        rows.append(
            (
                "kubectl get pods -A",
                f"{t_kubectl:.2f} s",
                f"exit {r.returncode}, {lines} rows"
                + ("" if r.returncode == 0 else f": {r.stderr[:200]}"),
            )
        )
        rss_end = rss_mib()
        all_pods = sum(
            sim[n].call(lambda n=n: sim[n].cluster.store.count("/pods")) for n in CLUSTERS
        )
        rows.append(
            (
                "RSS at the end",
                f"{rss_end:.0f} MiB",
                f"{all_pods} pods in 4 clusters; target < 2048 MiB",
            )
        )
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(
        f"\nk2sim scale benchmark ({'quick' if args.quick else 'seed scale'}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]})"
    )
    print(f"{'measure'.ljust(w0)}  {'value'.rjust(w1)}  notes")
    print(f"{'-' * w0}  {'-' * w1}  -----")
    for a, b, c in rows:
        print(f"{a.ljust(w0)}  {b.rjust(w1)}  {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
