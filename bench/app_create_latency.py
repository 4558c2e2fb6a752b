"""App create -> Deployment exists in the cluster: latency through a real Celery worker.

    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/app_create_latency.py
    .venv/bin/python bench/app_create_latency.py            # SQLite in a temp folder + own Redis
    .venv/bin/python bench/app_create_latency.py --creates 10 --concurrency 2
    .venv/bin/python bench/app_create_latency.py --interactive-worker   # as make run runs them

It sets Django up itself (DATABASE_URL/REDIS_URL when given, else a throwaway SQLite file
and an embedded Redis), migrates, starts one k2sim cluster in-process, registers it, makes
one active space, starts a real `celery worker` process on the same database and broker,
then creates apps one after another through the service (`do_create_app`, as the portal
and the API do) and measures, for each, the time from the call until the app's Deployment
exists in the cluster (polled every 5 ms through the official client).

Baseline, measured in the same run: the same app's manifests rendered and server-side
applied directly from this process (no database, no queue): the floor of "a write reaches
the cluster". It also counts the reconcile pass rows the creates produced.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import setup_django  # noqa: E402  (after ROOT is on the path)


def seed(handle):
    """A registered cluster, an owner and one active space whose namespace exists."""
    from django.contrib.auth import get_user_model
    from kubernetes import client as k8s

    from apps.clusters.choices import Environment
    from apps.spaces.choices import ClusterStatus, SpaceRole, SpaceState
    from apps.spaces.models import Membership, Space, SpaceCluster
    from apps.spaces.permissions import grant_role
    from tests.helpers import register

    owner = get_user_model().objects.create_user("bench-owner", password=None)
    cluster = register(handle, environment=Environment.TEST, ready=True)
    space = Space.objects.create(
        slug="bench-space", environment=Environment.TEST, primary_cluster=cluster, owner=owner,
        quota_cpu="256", quota_memory="512Gi", quota_pods=1000, quota_storage="100Gi",
        default_cpu_limit="100m", default_memory_limit="128Mi", state=SpaceState.ACTIVE,
    )  # fmt: skip
    SpaceCluster.objects.create(space=space, cluster=cluster, is_primary=True,
                                status=ClusterStatus.READY)  # fmt: skip
    Membership.objects.create(space=space, user=owner, role=SpaceRole.OWNER)
    grant_role(space, owner, SpaceRole.OWNER)
    k8s.CoreV1Api(handle.api_client()).create_namespace(k8s.V1Namespace(
        metadata=k8s.V1ObjectMeta(name=space.slug, labels={
            "app.kubernetes.io/managed-by": "k2cloud", "k2cloud.io/space": space.slug}),
    ))  # fmt: skip
    return owner, space


def spec() -> dict:
    return {
        "kind": "service", "image": "harbor.k2.test/shop/web:1.0",
        "ports": [{"name": "http", "port": 8080}], "cpu_limit": "100m", "memory_limit": "128Mi",
        "config_files": [{"name": "app.yml", "content": "a: 1\n"}],
        "env": [{"name": "PROFILE", "value": "bench"}],
    }  # fmt: skip


def start_worker(tmp: Path, concurrency: int, queues: str, name: str) -> subprocess.Popen:
    """A real `celery worker` consuming `queues` (in that order), answering pings."""
    from django.db import connection

    from k2cloud.celery import app

    env = dict(os.environ)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    log_path = tmp / f"worker-{name}.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "k2cloud", "worker",
         *(["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"-c{concurrency}"]),
         "-Q", queues, "-n", f"{name}@%h", "--loglevel=WARNING", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 180  # a loaded machine starts a worker slowly
    while time.monotonic() < deadline:
        if any(f"{name}@" in node for reply in app.control.ping(timeout=0.5) for node in reply):
            return proc
        if proc.poll() is not None:
            sys.exit(f"celery worker exited: {log_path.read_text()}")
    proc.kill()
    sys.exit("celery worker did not answer a ping within 180 s")


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()


def wait_deployment(apps_api, namespace: str, name: str, timeout: float = 60) -> float:
    from kubernetes.client.exceptions import ApiException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            apps_api.read_namespaced_deployment(name, namespace)
            return time.monotonic()
        except ApiException as exc:
            if exc.status != 404:
                raise
        time.sleep(0.005)
    raise TimeoutError(f"deployment {namespace}/{name} did not appear within {timeout} s")


def direct_apply(handle, space, name: str) -> float:
    """Render the app's manifests and server-side apply them from here: seconds."""
    from decimal import Decimal

    from kubernetes import client as k8s

    from apps.workloads.rendering import AppTarget, Policy, Release, normalize_spec, render_app

    api = handle.api_client()
    started = time.monotonic()
    target = AppTarget(
        space=space.slug, namespace=space.namespace, name=name,
        stable=Release(spec=normalize_spec(spec()), revision=1, replicas=1),
        policy=Policy(Decimal(4), Decimal(2)), paused=False, restarted_at="",
        canary=None, canary_weight=0,
    )  # fmt: skip
    typed = {"ConfigMap": (k8s.CoreV1Api(api), "config_map"),
             "Service": (k8s.CoreV1Api(api), "service"),
             "Deployment": (k8s.AppsV1Api(api), "deployment")}  # fmt: skip
    for manifest in render_app(target):
        client, suffix = typed[manifest["kind"]]
        getattr(client, f"patch_namespaced_{suffix}")(
            manifest["metadata"]["name"], space.namespace, manifest, field_manager="bench",
            force=True, _content_type="application/apply-patch+yaml",
        )  # fmt: skip
    return time.monotonic() - started


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="processes of the worker that consumes every queue (1: the solo pool, as the "
        "tests run it)",
    )
    parser.add_argument(
        "--interactive-worker",
        action="store_true",
        help="also start a solo worker for the interactive queue alone (as make run and "
        "deploy/kubernetes do)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="k2-bench-create-"))
    redis_server = setup_django(tmp)
    from kubernetes import client as k8s

    from apps.audit.actors import Actor
    from apps.clusters import gateway
    from apps.workloads.services import do_create_app
    from k2cloud import queues
    from k2sim.testing import running_clusters

    try:
        from apps.reconciler.models import ReconcilePass
    except ImportError:  # pragma: no cover - older trees
        ReconcilePass = None  # noqa: N806

    workers: list[subprocess.Popen] = []
    with running_clusters(("bench",), nodes=2, state_dir=tmp / "k2sim", pod_ready_delay=0.05,
                          install_calico=False, log_interval=5.0) as sim:  # fmt: skip
        handle = sim["bench"]
        owner, space = seed(handle)
        gateway.reset()
        workers = [start_worker(tmp, args.concurrency, queues.WORKER_QUEUES, "general")]
        if args.interactive_worker:
            workers.append(start_worker(tmp, 1, queues.INTERACTIVE, "interactive"))
        try:
            apps_api = k8s.AppsV1Api(handle.api_client())
            passes_before = ReconcilePass.objects.count() if ReconcilePass else 0
            latencies: list[float] = []
            for i in range(args.warmup + args.creates):
                name = f"app-{i:03d}"
                started = time.monotonic()
                do_create_app(space, name=name, spec=spec(), actor=Actor.for_user(owner))
                done = wait_deployment(apps_api, space.namespace, name)
                if i >= args.warmup:
                    latencies.append(done - started)
            baseline = [direct_apply(handle, space, f"direct-{i:03d}") for i in range(args.creates)]
            time.sleep(1)  # let the last pass rows land
            passes = (ReconcilePass.objects.count() if ReconcilePass else 0) - passes_before
            from collections import Counter

            from apps.workloads.models import App

            statuses = Counter(App.objects.values_list("status", flat=True))
        finally:
            for worker in workers:
                stop(worker)
    if redis_server is not None:
        redis_server.stop()
    ms = [x * 1000 for x in latencies]
    base = [x * 1000 for x in baseline]
    from django.db import connection

    print(f"app create -> Deployment exists, {len(ms)} creates after {args.warmup} warm-up, "
          f"database {connection.vendor}, a Celery worker of every queue with "
          f"{'the solo pool' if args.concurrency == 1 else f'{args.concurrency} processes'}"
          f"{', and one of the interactive queue alone' if args.interactive_worker else ''}")  # fmt: skip
    print(f"{'measure':<44}{'value':>12}")
    print(f"{'p50 (ms)':<44}{statistics.median(ms):>12.0f}")
    print(f"{'p95 (ms)':<44}{pct(ms, 95):>12.0f}")
    print(f"{'max (ms)':<44}{max(ms):>12.0f}")
    print(f"{'baseline: direct server-side apply p95 (ms)':<44}{pct(base, 95):>12.1f}")
    print(f"{'ratio p95 / baseline p95':<44}{pct(ms, 95) / max(pct(base, 95), 0.001):>11.1f}x")
    print(f"{'reconcile pass rows written':<44}{passes:>12d}")
    print(f"{'app status at the end':<44}{dict(statuses)!s:>12}")


if __name__ == "__main__":
    main()
