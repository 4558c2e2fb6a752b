"""The reconciler at K2Cloud's seed scale: 4 clusters, 550 spaces, 4,900 apps, ~5,000 pods.

    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/reconcile.py   # PostgreSQL
    .venv/bin/python bench/reconcile.py                  # SQLite in a temp folder + own Redis
    .venv/bin/python bench/reconcile.py --quick          # a small smoke size

It sets Django up itself (DATABASE_URL/REDIS_URL when given, else a throwaway SQLite file
and an embedded Redis), migrates, starts k2sim in-process, seeds the database with
bulk_create (no per-object services) and reports, all in one run:

  (a) the cold pass that creates everything (4 clusters in parallel),
  (b) a no-op pass: wall time, API calls by verb, cluster writes, LISTs per kind per
      cluster (targets: <= 2 LIST per kind per cluster, zero writes, < 10 s),
  (c) drift repair latency p50/p95 over 100 random out-of-band edits (Deployment replicas)
      and deletions (Services, ConfigMaps), repaired by the watcher (target p95 < 2 s),
  (d) the naive approach (for each app: render, GET each object, compare, PUT if
      different) measured on a random sample of apps (--naive-sample, default 300) and
      extrapolated linearly to all apps, as a ratio to the no-op pass (target >= 10x).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import setup_django  # noqa: E402  (after ROOT is on the path)

CLUSTERS = ("prod", "test", "ml", "private")


def seed(sim, n_spaces: int, n_apps: int, n_pods: int):
    """Clusters, spaces, apps, revisions and placements, all with bulk_create."""
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from apps.clusters.choices import Environment
    from apps.spaces.choices import ClusterStatus, SpaceRole, SpaceState
    from apps.spaces.models import Membership, Space, SpaceCluster
    from apps.workloads.choices import ApplyStatus, AppStatus
    from apps.workloads.models import App, AppCluster, AppRevision
    from apps.workloads.rendering import digest, normalize_spec
    from tests.helpers import register

    owner = get_user_model().objects.create_user("bench-owner", password=None)
    clusters = [register(sim[name], environment=Environment.TEST, ready=True) for name in CLUSTERS]
    spaces = Space.objects.bulk_create([
        Space(slug=f"space-{i:04d}", environment=Environment.TEST,
              primary_cluster=clusters[i % len(clusters)], owner=owner, quota_cpu="64",
              quota_memory="128Gi", quota_pods=100, quota_storage="100Gi",
              default_cpu_limit="100m", default_memory_limit="128Mi", state=SpaceState.ACTIVE)
        for i in range(n_spaces)
    ], batch_size=500)  # fmt: skip
    SpaceCluster.objects.bulk_create([
        SpaceCluster(space=s, cluster=s.primary_cluster, is_primary=True,
                     status=ClusterStatus.READY) for s in spaces
    ], batch_size=500)  # fmt: skip
    Membership.objects.bulk_create(
        [Membership(space=s, user=owner, role=SpaceRole.OWNER) for s in spaces], batch_size=500
    )
    spec = normalize_spec({
        "kind": "service", "image": "harbor.k2.test/shop/web:1.0",
        "ports": [{"name": "http", "port": 8080}], "cpu_limit": "100m", "memory_limit": "128Mi",
        "config_files": [{"name": "app.yml", "content": "a: 1\n"}],
        "env": [{"name": "PROFILE", "value": "bench"}],
    })  # fmt: skip
    extra = max(0, n_pods - n_apps)  # apps that get a second replica
    apps = App.objects.bulk_create([
        App(space=spaces[i % n_spaces], name=f"app-{i:05d}", kind="service",
            replicas=2 if i < extra else 1, status=AppStatus.RUNNING, created_by=owner)
        for i in range(n_apps)
    ], batch_size=500)  # fmt: skip
    revisions = AppRevision.objects.bulk_create([
        AppRevision(app=a, number=1, spec=spec, spec_hash=digest(spec), author=owner)
        for a in apps
    ], batch_size=500)  # fmt: skip
    for app, rev in zip(apps, revisions, strict=True):
        app.revision = rev
    App.objects.bulk_update(apps, ["revision"], batch_size=500)
    AppCluster.objects.bulk_create([
        AppCluster(app=a, cluster=a.space.primary_cluster, weight=1, status=ApplyStatus.APPLIED)
        for a in apps
    ], batch_size=500)  # fmt: skip
    del Decimal
    return clusters


def parallel_passes(clusters, trigger):
    from django.db import connection

    from apps.reconciler.services import run_pass

    rows = {}

    def one(cluster):
        try:
            rows[cluster.name] = run_pass(cluster.pk, trigger=trigger, wait=600)
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(c,)) for c in clusters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return rows, time.monotonic() - started


def settle(sim, want: int, timeout: float = 180) -> int:
    """Wait until the simulated controllers have started the pods; returns the ready count."""
    import json

    from kubernetes import client as k8s

    deadline = time.monotonic() + timeout
    ready = 0
    while time.monotonic() < deadline:
        ready = 0
        for name in CLUSTERS:
            api_client = sim[name].api_client()
            raw = k8s.CoreV1Api(api_client).list_pod_for_all_namespaces(_preload_content=False)
            for pod in json.loads(raw.data)["items"]:
                statuses = (pod.get("status") or {}).get("containerStatuses") or []
                ready += bool(statuses) and all(c.get("ready") for c in statuses)
            api_client.close()
        if ready >= want:
            break
        time.sleep(2)
    return ready


def sequential_passes(clusters):
    from apps.reconciler.services import run_pass

    rows, started = {}, time.monotonic()
    for cluster in clusters:
        rows[cluster.name] = run_pass(cluster.pk, trigger="schedule", wait=600)
    return rows, time.monotonic() - started


def drift(sim, clusters, n: int, rng: random.Random):
    """n random out-of-band changes, one at a time; seconds until each was put back."""
    from kubernetes import client as k8s
    from kubernetes.client.rest import ApiException

    from apps.reconciler.watch import Watcher
    from apps.workloads.models import App

    watcher = Watcher(clusters).start()
    if not watcher.wait_ready(120):
        raise SystemExit("watcher did not finish its initial LISTs")
    apps = list(App.objects.select_related("space__primary_cluster")
                .values_list("space__slug", "name", "space__primary_cluster__name", "replicas"))  # fmt: skip
    latencies, timeouts = [], 0
    for i in range(n):
        ns, name, cluster_name, replicas = rng.choice(apps)
        api_client = sim[cluster_name].api_client()
        appsv1, core = k8s.AppsV1Api(api_client), k8s.CoreV1Api(api_client)
        what = ("edit", "delete-service", "delete-configmap")[i % 3]
        if what == "edit":
            appsv1.patch_namespaced_deployment(name, ns, {"spec": {"replicas": replicas + 3}})

            def fixed(appsv1=appsv1, name=name, ns=ns, replicas=replicas):
                return appsv1.read_namespaced_deployment(name, ns).spec.replicas == replicas
        else:
            read = (core.read_namespaced_service if what == "delete-service"
                    else core.read_namespaced_config_map)  # fmt: skip
            obj = name if what == "delete-service" else f"{name}-config"
            (core.delete_namespaced_service if what == "delete-service"
             else core.delete_namespaced_config_map)(obj, ns)  # fmt: skip

            def fixed(read=read, obj=obj, ns=ns):
                try:
                    return read(obj, ns) is not None
                except ApiException as exc:
                    if exc.status == 404:
                        return False
                    raise

        started = time.monotonic()
        while not fixed():
            if time.monotonic() - started > 15:
                timeouts += 1
                break
            time.sleep(0.01)
        else:
            latencies.append(time.monotonic() - started)
        api_client.close()
    watcher.stop()
    return latencies, timeouts


def naive(sim, clusters, sample: int, rng: random.Random):
    """For each sampled app: render, GET each object (typed client), compare, PUT if it
    differs. Returns (seconds for the sample, GETs, PUTs, apps sampled)."""
    from kubernetes import client as k8s

    from apps.clusters import gateway
    from apps.reconciler.planner import difference
    from apps.workloads.models import App
    from apps.workloads.rendering import render_app
    from apps.workloads.targets import app_targets

    ids = list(App.objects.values_list("pk", flat=True))
    chosen = rng.sample(ids, min(sample, len(ids)))
    reads = {"ConfigMap": ("core", "read_namespaced_config_map", "replace_namespaced_config_map"),
             "Service": ("core", "read_namespaced_service", "replace_namespaced_service"),
             "Deployment": ("apps", "read_namespaced_deployment", "replace_namespaced_deployment"),
             "Ingress": ("networking", "read_namespaced_ingress", "replace_namespaced_ingress")}  # fmt: skip
    sanitize = k8s.ApiClient().sanitize_for_serialization
    gets = puts = 0
    started = time.monotonic()
    for pk in chosen:
        app = App.objects.select_related("space", "revision", "canary_revision").get(pk=pk)
        for placement, target in app_targets(app):
            for manifest in render_app(target):
                api, read, replace = reads[manifest["kind"]]
                meta = manifest["metadata"]
                live = gateway.call(placement.cluster, "naive_get", lambda c, a=api, r=read, m=meta:
                                    getattr(getattr(c, a), r)(m["name"], m["namespace"]))  # fmt: skip
                gets += 1
                if difference(manifest, sanitize(live)):
                    gateway.call(placement.cluster, "naive_put", lambda c, a=api, r=replace, m=meta,
                                 b=manifest: getattr(getattr(c, a), r)(m["name"], m["namespace"], b))  # fmt: skip
                    puts += 1
    return time.monotonic() - started, gets, puts, len(chosen)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small smoke size")
    ap.add_argument("--spaces", type=int, default=550)
    ap.add_argument("--apps", type=int, default=4900)
    ap.add_argument("--pods", type=int, default=5000)
    ap.add_argument("--drift", type=int, default=100)
    ap.add_argument("--naive-sample", type=int, default=300)
    ap.add_argument("--nodes", type=int, default=20)
    args = ap.parse_args()
    if args.quick:
        args.spaces, args.apps, args.pods, args.drift, args.naive_sample = 28, 245, 250, 20, 50
    rng = random.Random(8)
    with tempfile.TemporaryDirectory(prefix="k2-bench-reconcile-") as tmp:
        redis_server = setup_django(Path(tmp))
        from django.db import connection

        from k2sim.testing import running_clusters

        with running_clusters(CLUSTERS, state_dir=Path(tmp) / "k2sim", nodes=args.nodes,
                              pod_ready_delay=0.5, install_calico=False,
                              log_interval=60) as sim:  # fmt: skip
            t0 = time.monotonic()
            clusters = seed(sim, args.spaces, args.apps, args.pods)
            seed_s = time.monotonic() - t0
            cold, cold_s = parallel_passes(clusters, "manual")
            pods = settle(sim, args.pods)
            # k2sim lives in this process with millions of objects; without this, Python's
            # full garbage collections over *its* heap land in random passes (seconds each).
            # A real cluster's objects are not in the reconciler's process.
            gc.collect()
            gc.freeze()
            parallel_passes(clusters, "schedule")  # status figures of the started pods
            noop, noop_s = parallel_passes(clusters, "schedule")
            seq, seq_s = sequential_passes(clusters)
            latencies, timeouts = drift(sim, clusters, args.drift, rng)
            naive_s, gets, puts, sampled = naive(sim, clusters, args.naive_sample, rng)
            naive_total = naive_s * args.apps / max(1, sampled)
        connection.close()
        if redis_server:
            redis_server.stop()
    report(args, connection.vendor, seed_s, cold, cold_s, noop, noop_s, seq, seq_s, pods,
           latencies, timeouts, naive_s, naive_total, gets, puts, sampled)  # fmt: skip


def report(args, vendor, seed_s, cold, cold_s, noop, noop_s, seq, seq_s, pods, latencies,
           timeouts, naive_s, naive_total, gets, puts, sampled):  # fmt: skip
    from apps.reconciler.kinds import KINDS

    def total(rows, attr):
        return sum(getattr(r, attr) for r in rows.values())

    calls = {}
    for r in noop.values():
        for verb, n in r.api_calls.items():
            calls[verb] = calls.get(verb, 0) + n
    lists_per_kind = max(r.api_calls.get("list", 0) for r in noop.values()) / len(KINDS)
    lat = sorted(latencies)
    p50 = statistics.median(lat) if lat else float("nan")
    p95 = lat[min(len(lat) - 1, int(round(0.95 * len(lat))) - 1)] if lat else float("nan")
    rows = [
        ("scale", f"{len(CLUSTERS)} clusters", f"{args.spaces} spaces, {args.apps} apps, "
         f"{args.pods} pods wanted; database {vendor}"),
        ("seed database (bulk_create)", f"{seed_s:.1f} s", ""),
        ("pods ready after the cold pass", f"{pods}", "started by k2sim's controllers"),
        ("(a) cold pass, 4 clusters in parallel", f"{cold_s:.1f} s",
         f"{total(cold, 'applied')} objects applied, {total(cold, 'failed')} failed"),
        ("(b) no-op pass, 4 clusters in parallel", f"{noop_s:.2f} s",
         f"target < 10 s; per cluster {', '.join(f'{n} {r.duration_ms} ms' for n, r in noop.items())}"),
        ("    objects checked", f"{total(noop, 'checked')}", ""),
        ("    API calls by verb", ", ".join(f"{k} {v}" for k, v in sorted(calls.items())),
         f"LISTs per kind per cluster: {lists_per_kind:g} (target <= 2)"),
        ("    cluster writes", f"{total(noop, 'applied') + total(noop, 'pruned')}", "target 0"),
        ("    same, clusters one after another", f"{seq_s:.2f} s",
         f"{', '.join(f'{n} {r.duration_ms} ms' for n, r in seq.items())}; writes "
         f"{total(seq, 'applied') + total(seq, 'pruned')}"),
        ("(c) drift repair p50 (watch)", f"{p50 * 1000:.0f} ms",
         f"{len(lat)} repaired of {len(lat) + timeouts} edits/deletions"),
        ("    drift repair p95 (watch)", f"{p95 * 1000:.0f} ms", "target < 2000 ms"),
        ("(d) naive no-op check, extrapolated", f"{naive_total:.1f} s",
         f"{sampled} apps sampled in {naive_s:.1f} s: {gets} GET, {puts} PUT"),
        ("    ratio naive / no-op (one after another)", f"{naive_total / max(seq_s, 1e-9):.1f}x",
         "both sequential; target >= 10x"),
        ("    ratio naive / no-op (parallel wall)", f"{naive_total / max(noop_s, 1e-9):.1f}x", ""),
    ]  # fmt: skip
    print(f"\n{'measure':<42} {'value':>28}  notes")
    print(f"{'-' * 42} {'-' * 28}  -----")
    for name, value, note in rows:
        print(f"{name:<42} {value:>28}  {note}")


if __name__ == "__main__":
    main()
