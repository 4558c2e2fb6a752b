"""The expiry sweep at the original platform's scale: 500 test spaces expiring at once.

    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/lifecycle.py   # PostgreSQL
    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/lifecycle.py --quick

It sets Django up and seeds the database with bulk_create through bench/reconcile.py's
helpers (setup_django, seed, parallel_passes: imported, not copied), starts 4 k2sim
clusters in-process, and provisions every space for real with one cold reconcile pass
(namespaces, quota, RBAC, the apps' ConfigMaps, Services, Deployments) plus a few
hand-made ConfigMaps and Secrets per space created with the Kubernetes client, so each
backup has something to LIST and every object goes through the dry-run apply.

Baseline (same run, before the sweep, in this process): take_backup of a few spaces one
after another, timed as its two halves (store_backup: collect + archive + store;
verify_backup: re-read + parse + dry run), extrapolated to all spaces, with the cluster
requests of each half counted.

Then every space's expires_at is moved into the past, a real Celery worker is started
(prefork, --concurrency, all queues) on the same database and broker, and one
do_sweep_expired() call starts the sweep; the chain of "Continue with the next expired
space" steps does the rest (no beat runs). Reported: wall time from that call until every
space is `deleting` and until every space is `deleted`, backups per minute, the worker
processes' peak RSS (VmHWM), the verify share (per backup, from its row and audit events:
created → `backup.take` event = store half, → verified_at = verify half), and the ratio
to the baseline. If nothing moves for --stall seconds the bench calls the sweep again,
as the hourly beat would, and counts those kicks (a non-zero count is a finding).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# The shared bench setup (database, seed, cold pass) lives in bench/reconcile.py for now.
from reconcile import CLUSTERS, parallel_passes, seed, setup_django  # noqa: E402

BENCH_ACTOR = "bench.lifecycle"


# --- provisioning ---------------------------------------------------------------------------
def hand_made(sim, n_configmaps: int, n_secrets: int) -> int:
    """ConfigMaps and Secrets made "by hand" (the Kubernetes client, no K2Cloud) in every
    space's namespace, one thread per cluster. Returns how many were created."""
    from kubernetes import client as k8s

    from apps.spaces.models import Space

    by_cluster: dict[str, list[str]] = {}
    for ns, cluster in Space.objects.values_list("slug", "primary_cluster__name"):
        by_cluster.setdefault(cluster, []).append(ns)
    made = Counter()

    def one(cluster: str, namespaces: list[str]) -> None:
        api_client = sim[cluster].api_client()
        core = k8s.CoreV1Api(api_client)
        for ns in namespaces:
            for i in range(n_configmaps):
                core.create_namespaced_config_map(ns, {
                    "metadata": {"name": f"hand-config-{i}", "labels": {"made-by": "kubectl"}},
                    "data": {"settings.ini": f"[main]\nspace = {ns}\nindex = {i}\n" * 8},
                })  # fmt: skip
                made[cluster] += 1
            for i in range(n_secrets):
                core.create_namespaced_secret(ns, {
                    "metadata": {"name": f"hand-secret-{i}"}, "type": "Opaque",
                    "stringData": {"password": f"s3cret-{ns}-{i}", "user": "bench"},
                })  # fmt: skip
                made[cluster] += 1
        api_client.close()

    threads = [threading.Thread(target=one, args=item) for item in by_cluster.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(made.values())


# --- baseline -------------------------------------------------------------------------------
def baseline(n: int) -> tuple[list[float], list[float], list[int], Counter]:
    """take_backup's two halves for n spaces (one per cluster in turn), one after another,
    in this process: (store seconds, verify seconds, objects per backup, cluster requests
    by (half, method) over the n backups, plus ("discovery", "GET") for one discovery)."""
    from apps.audit.actors import Actor
    from apps.backups import cluster_reads
    from apps.backups.choices import BackupState, BackupTrigger
    from apps.backups.services import store_backup, verify_backup
    from apps.clusters.models import Cluster
    from apps.spaces.models import Space

    actor = Actor.system(BENCH_ACTOR)
    spaces = list(Space.objects.order_by("pk")[:n])
    stores, verifies, objects = [], [], []
    requests: Counter = Counter()
    phase = ["discovery"]
    original = cluster_reads._request

    def counting(clients, method, path, **kwargs):
        requests[(phase[0], method)] += 1
        return original(clients, method, path, **kwargs)

    cluster_reads._request = counting  # bench-only instrumentation, undone below
    try:
        cluster_reads.discover_kinds(Cluster.objects.first())
        for space in spaces:
            t0 = time.monotonic()
            phase[0] = "store"
            backup = store_backup(space, trigger=BackupTrigger.MANUAL, actor=actor)
            t1 = time.monotonic()
            phase[0] = "verify"
            backup = verify_backup(backup, actor=actor)
            t2 = time.monotonic()
            if backup.state != BackupState.VERIFIED:
                raise SystemExit(f"baseline backup of {space.slug} failed: {backup.error}")
            stores.append(t1 - t0)
            verifies.append(t2 - t1)
            objects.append(backup.object_total)
    finally:
        cluster_reads._request = original
    return stores, verifies, objects, requests


# --- the worker -----------------------------------------------------------------------------
def start_worker(tmp: Path, concurrency: int) -> subprocess.Popen:
    from k2cloud.celery import app

    log = open(tmp / "worker.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "k2cloud", "worker", "--pool=prefork",
         f"--concurrency={concurrency}", "-Q", "interactive,bulk,notify,celery",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return proc
        if proc.poll() is not None:
            sys.exit(f"celery worker exited: {(tmp / 'worker.log').read_text()}")
    proc.kill()
    sys.exit("celery worker did not answer a ping within 60 s")


def process_tree(pid: int) -> list[int]:
    """The worker's main process and its pool children (read from /proc)."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            pids.append(int(entry.name))
    return pids


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- the sweep ------------------------------------------------------------------------------
def sweep(worker: subprocess.Popen, n: int, timeout: float, stall: float):
    """Start the sweep and wait for every space to be deleted; returns timings and samples."""
    from apps.spaces.choices import SpaceState
    from apps.spaces.lifecycle import do_sweep_expired
    from apps.spaces.models import Space

    started = time.monotonic()
    do_sweep_expired()
    first_sweep = time.monotonic() - started
    all_deleting = all_deleted = None
    kicks, peak_rss, last_change, last_counts = 0, {}, started, None
    while time.monotonic() - started < timeout:
        time.sleep(0.5)
        for pid in process_tree(worker.pid):
            peak_rss[pid] = max(peak_rss.get(pid, 0), status_kb(pid, "VmHWM"))
        counts = Counter(Space.objects.values_list("state", flat=True))
        now = time.monotonic()
        if counts != last_counts:
            last_counts, last_change = counts, now
        gone = counts.get(SpaceState.DELETED, 0)
        if all_deleting is None and gone + counts.get(SpaceState.DELETING, 0) == n:
            all_deleting = now - started
        if gone == n:
            all_deleted = now - started
            break
        if now - last_change > stall:
            kicks += 1
            last_change = now
            do_sweep_expired()
    waited = time.monotonic() - started
    return all_deleting, all_deleted, kicks, peak_rss, last_counts, waited, first_sweep


def backup_halves():
    """Per expiry backup: (store seconds, verify seconds, objects, bytes, verified_at)."""
    from apps.audit.models import AuditEvent
    from apps.backups.choices import BackupState, BackupTrigger
    from apps.backups.models import Backup

    rows = list(Backup.objects.filter(trigger=BackupTrigger.EXPIRY))
    taken = dict(
        AuditEvent.objects.filter(action="backup.take", target_id__in=[str(b.pk) for b in rows])
        .values_list("target_id", "created_at")
    )  # fmt: skip
    out, states = [], Counter(b.state for b in rows)
    for b in rows:
        if b.state != BackupState.VERIFIED or str(b.pk) not in taken:
            continue
        stored = taken[str(b.pk)]
        out.append(((stored - b.created_at).total_seconds(),
                    (b.verified_at - stored).total_seconds(), b.object_total, b.size_bytes,
                    b.created_at, b.verified_at))  # fmt: skip
    return out, states


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke size: 20 spaces")
    ap.add_argument("--spaces", type=int, default=500)
    ap.add_argument("--apps-per-space", type=int, default=3)
    ap.add_argument("--configmaps", type=int, default=2, help="hand-made ConfigMaps per space")
    ap.add_argument("--secrets", type=int, default=1, help="hand-made Secrets per space")
    ap.add_argument("--concurrency", type=int, default=2, help="worker processes (prefork)")
    ap.add_argument("--per-cluster", type=int, default=2,
                    help="K2_EXPIRY_CONCURRENCY_PER_CLUSTER for the run")  # fmt: skip
    ap.add_argument("--baseline", type=int, default=8, help="spaces backed up alone first")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--stall", type=float, default=60, help="seconds without progress before "
                    "the bench calls the sweep again (as the hourly beat would)")  # fmt: skip
    args = ap.parse_args()
    if args.quick:
        args.spaces, args.baseline = 20, 4
    tmp = Path(tempfile.mkdtemp(prefix="k2-bench-lifecycle-"))
    os.environ["K2_BACKUP_STORE_URL"] = f"file://{tmp / 'backups'}"
    os.environ["K2_EXPIRY_CONCURRENCY_PER_CLUSTER"] = str(args.per_cluster)
    os.environ.setdefault("K2_APPROVALS_EMAIL_ENABLED", "false")
    redis_server = setup_django(tmp)
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from apps.clusters import gateway
    from apps.operations.models import Operation
    from apps.spaces.models import Space
    from k2sim.testing import running_clusters

    n_apps = args.spaces * args.apps_per_space
    worker = None
    try:
        with running_clusters(CLUSTERS, state_dir=tmp / "k2sim", nodes=8, pod_ready_delay=0.5,
                              install_calico=False, log_interval=60) as sim:  # fmt: skip
            t0 = time.monotonic()
            clusters = seed(sim, args.spaces, n_apps, n_apps)
            seed_s = time.monotonic() - t0
            cold, cold_s = parallel_passes(clusters, "manual")
            t0 = time.monotonic()
            made = hand_made(sim, args.configmaps, args.secrets)
            hand_s = time.monotonic() - t0
            gc.collect()
            gc.freeze()  # k2sim's objects live in this process; see bench/reconcile.py
            gateway.reset()
            b_store, b_verify, b_objects, b_requests = baseline(args.baseline)
            Space.objects.update(expires_at=timezone.now() - timedelta(hours=1))
            connection.close()
            worker = start_worker(tmp, args.concurrency)
            deleting_s, deleted_s, kicks, peak_rss, final, waited, first_sweep = sweep(
                worker, args.spaces, args.timeout, args.stall
            )
            halves, backup_states = backup_halves()
            ops = list(Operation.objects.filter(kind="spaces.expire")
                       .values_list("state", "created_at", "started_at", "finished_at"))  # fmt: skip
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        connection.close()
        if redis_server is not None:
            redis_server.stop()
    report(args, connection.vendor, seed_s, cold, cold_s, made, hand_s, b_store, b_verify,
           b_objects, deleting_s, deleted_s, kicks, peak_rss, final, waited, halves,
           backup_states, ops, settings.K2_EXPIRY_CONCURRENCY_PER_CLUSTER, tmp,
           first_sweep, b_requests)  # fmt: skip


def report(args, vendor, seed_s, cold, cold_s, made, hand_s, b_store, b_verify, b_objects,
           deleting_s, deleted_s, kicks, peak_rss, final, waited, halves, backup_states, ops,
           per_cluster, tmp, first_sweep, b_requests):  # fmt: skip
    n = args.spaces
    stores = [h[0] for h in halves]
    verifies = [h[1] for h in halves]
    verify_share = sum(verifies) / max(1e-9, sum(stores) + sum(verifies))
    b_one = statistics.mean(b_store) + statistics.mean(b_verify)
    b_share = sum(b_verify) / max(1e-9, sum(b_store) + sum(b_verify))
    end = deleted_s or waited
    verified = backup_states.get("verified", 0)
    if halves:
        first = min(h[4] for h in halves)
        span = (max(h[5] for h in halves) - first).total_seconds()
    else:
        span = 0.0
    rss = sorted(peak_rss.values(), reverse=True)
    op_states = Counter(o[0] for o in ops)
    timed = [o for o in ops if o[2] and o[3]]
    op_run = [(o[3] - o[2]).total_seconds() for o in timed]
    op_wait = [(o[2] - o[1]).total_seconds() for o in timed]
    op_span = ((max(o[3] for o in timed) - min(o[1] for o in timed)).total_seconds()
               if timed else 0.0)  # fmt: skip
    in_flight = sum(op_run) / max(1e-9, op_span)
    backup_total = sum(stores) + sum(verifies)

    def fmt(s):
        return "did not finish" if s is None else f"{s:.1f} s"

    rows = [
        ("scale", f"{n} spaces on {len(CLUSTERS)} clusters",
         f"{n * args.apps_per_space} apps ({args.apps_per_space} per space, 1 replica), "
         f"{args.configmaps} ConfigMaps + {args.secrets} Secrets by hand per space; {vendor}"),
        ("run", f"Celery worker, prefork -c{args.concurrency}",
         f"K2_EXPIRY_CONCURRENCY_PER_CLUSTER={per_cluster}; file:// store in {tmp}"),
        ("seed database (bulk_create)", f"{seed_s:.1f} s", ""),
        ("provision: cold reconcile pass", f"{cold_s:.1f} s",
         f"{sum(r.applied for r in cold.values())} objects applied, "
         f"{sum(r.failed for r in cold.values())} failed"),
        ("provision: hand-made objects", f"{hand_s:.1f} s", f"{made} created"),
        ("baseline: one backup alone", f"{b_one * 1000:.0f} ms",
         f"mean of {len(b_store)} in this process: store {statistics.mean(b_store) * 1000:.0f}"
         f" ms + verify {statistics.mean(b_verify) * 1000:.0f} ms; "
         f"{statistics.mean(b_objects):.0f} objects each"),
        ("baseline: cluster requests per backup",
         ", ".join(f"{half} {method} {count / len(b_store):g}" for (half, method), count
                   in sorted(b_requests.items()) if half != "discovery"),
         f"one discovery is {b_requests[('discovery', 'GET')]} GETs (collect and verify each "
         "discover); verify PATCHes = objects (one dry-run apply each)"),
        ("baseline x N, one after another", f"{b_one * n:.1f} s",
         f"/ {args.concurrency} processes = {b_one * n / args.concurrency:.1f} s"),
        ("sweep: first sweep -> all deleting", fmt(deleting_s), ""),
        ("sweep: first sweep -> all deleted", fmt(deleted_s),
         f"final states {dict(final or {})}"),
        ("ratio sweep / (baseline x N / processes)",
         f"{end / max(1e-9, b_one * n / args.concurrency):.2f}x", "1.0x = backups only, "
         "perfectly parallel"),
        ("backups per minute", f"{verified / max(1e-9, end) * 60:.1f}",
         f"{verified} verified over the wall time to all deleted; "
         f"{verified / max(1e-9, span) * 60:.1f}/min first backup -> last verified"),
        ("backup rows (expiry)", ", ".join(f"{k} {v}" for k, v in sorted(backup_states.items())),
         f"operations {dict(op_states)}"),
        ("expiry operation: queued -> started", f"{statistics.mean(op_wait):.1f} s"
         if op_wait else "-", f"p95 {pct(op_wait, 95):.1f} s, max {max(op_wait):.1f} s"
         if op_wait else ""),
        ("expiry operation: started -> finished", f"{statistics.mean(op_run) * 1000:.0f} ms"
         if op_run else "-", f"p95 {pct(op_run, 95) * 1000:.0f} ms; backup is "
         f"{backup_total / max(1e-9, sum(op_run)):.0%} of it" if op_run else ""),
        ("expiry operations running at once (mean)", f"{in_flight:.2f}",
         f"sum of run times / {op_span:.1f} s from first queued to last finished"),
        ("backup in the sweep: store half", f"{statistics.mean(stores) * 1000:.0f} ms" if stores
         else "-", f"p95 {pct(stores, 95) * 1000:.0f} ms" if stores else ""),
        ("backup in the sweep: verify half", f"{statistics.mean(verifies) * 1000:.0f} ms"
         if verifies else "-", f"p95 {pct(verifies, 95) * 1000:.0f} ms" if verifies else ""),
        ("share of backup time in verification", f"{verify_share:.0%}",
         f"baseline alone: {b_share:.0%}"),
        ("archive size (mean)", f"{statistics.mean(h[3] for h in halves) / 1024:.1f} KiB"
         if halves else "-", f"{statistics.mean(h[2] for h in halves):.0f} objects"
         if halves else ""),
        ("worker peak RSS (VmHWM), per process", ", ".join(f"{kb / 1024:.0f} MiB" for kb in rss),
         f"main + pool children; sum {sum(rss) / 1024:.0f} MiB"),
        ("one do_sweep_expired() call", f"{first_sweep * 1000:.0f} ms",
         f"the first, {n} expired candidates; every finished expiry queues one more"),
        ("sweeps kicked by the bench", f"{kicks}",
         f"after {args.stall:.0f} s without progress; 0 = the chain drained it alone"),
    ]  # fmt: skip
    print(f"\n{'measure':<42} {'value':>30}  notes")
    print(f"{'-' * 42} {'-' * 30}  -----")
    for name, value, note in rows:
        print(f"{name:<42} {value:>30}  {note}")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


if __name__ == "__main__":
    main()
