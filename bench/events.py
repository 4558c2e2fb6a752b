"""The event watcher under a burst: 20,000 events per minute across 4 k2sim clusters for
5 minutes (`--quick`: 1 minute), against PostgreSQL.

k2sim's own event recorder emits them (as kubelets do: a repeat of the same object,
reason and message bumps `count`), in three streams per cluster:

* crash loops: 40 pods whose BackOff/OOMKilling events repeat (bumps of one event each);
* distinct events: new pods' Scheduled/Pulled/Started, each message stamped with its
  emission time (`t=<ms>`, stripped by the fingerprint) so ingestion lag is measured per
  event: emitted in k2sim -> its row committed by the watcher;
* alerts: every 2 s an OOMKilled-like event on a new object matching a rule (threshold 1)
  with a webhook sink (a real local HTTP server, allow-listed); event-to-alert latency =
  emitted -> the webhook has it (watcher, batch, rule, delivery on a notify thread).

Reports: events emitted and occurrences ingested, rows written (the merge ratio),
ingestion lag p50/p99, event-to-alert latency p50/p99 (target <= 2 s), the watcher
threads' CPU (utime+stime from /proc of their threads) and the baseline: the same
occurrences written one row per event with one INSERT each (the naive loop), timed.

    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/events.py [--quick]
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import setup_django  # noqa: E402
from k2sim.testing import running_clusters  # noqa: E402

CLUSTERS = ("ev-a", "ev-b", "ev-c", "ev-d")
STAMP = re.compile(r"t=(\d+)")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.latencies: list[float] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                match = STAMP.search(body.get("message") or "")
                if match and body.get("status") == "firing":
                    outer.latencies.append(time.time() - int(match.group(1)) / 1000)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"


def thread_cpu(names: tuple[str, ...]) -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for thread in threading.enumerate():
        if thread.name.startswith(names) and thread.native_id:
            try:
                stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="1 minute instead of 5")
    parser.add_argument("--per-minute", type=int, default=20000)
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    minutes = 1.0 if args.quick else args.minutes
    with tempfile.TemporaryDirectory() as tmp:
        redis_server = setup_django(Path(tmp))
        try:
            with running_clusters(CLUSTERS, state_dir=Path(tmp) / "k2sim", nodes=2) as sim:
                run(sim, args.per_minute, minutes)
        finally:
            if redis_server:
                redis_server.stop()


def run(sim, per_minute: int, minutes: float) -> None:
    from django.conf import settings
    from django.db import connection

    from apps.audit.actors import Actor
    from apps.core import tasks
    from apps.events import ingest
    from apps.events.delivery import deliver
    from apps.events.models import Event
    from apps.events.services import do_create_rule, do_create_sink
    from apps.events.watcher import EventWatcher
    from tests.helpers import register

    settings.K2_EVENTS_WEBHOOK_ALLOWLIST = ["127.0.0.1"]
    actor = Actor.system("bench.events")
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()

    def send(name, a, kw, options):
        if name == "workers.events.deliver":

            def job():
                try:
                    deliver(*a)
                finally:
                    connection.close()

            threading.Thread(target=job, name="notify", daemon=True).start()

    tasks.send = send  # a notify worker in threads
    sink = do_create_sink(name="bench", kind="webhook", target=receiver.url, actor=actor)
    do_create_rule(data={"name": "bench", "reason": "BenchOOM", "threshold": 1, "sinks": [sink]},
                   actor=actor)  # fmt: skip
    clusters = [register(sim[name], ready=True) for name in CLUSTERS]

    lags: list[float] = []
    counted: set[str] = set()
    original = ingest.write_batch

    write_seconds = [0.0]

    def timed_write(cluster, occurrences, **kw):
        t0 = time.monotonic()
        rows = original(cluster, occurrences, **kw)
        write_seconds[0] += time.monotonic() - t0
        now = time.time()
        for occ in occurrences:
            match = STAMP.search(occ.message)
            if match and occ.source not in counted:
                counted.add(occ.source)
                lags.append(now - int(match.group(1)) / 1000)
        return rows

    ingest.write_batch = timed_write

    def setup(h):
        api = h.cluster.api
        api.create(api.res("", "namespaces"), "", {"metadata": {"name": "bench"}})

    loops: dict[str, list[dict]] = {}
    for name in CLUSTERS:
        sim[name].call(setup, sim[name])
        loops[name] = [{"kind": "Pod", "apiVersion": "v1", "metadata": {
            "name": f"loop-{i}-7d9f8c6b4-x2kq{'bcdfghjklmnpqrstvwxz2456789'[i % 27]}",
            "namespace": "bench", "uid": f"{name}-loop-{i}"}} for i in range(40)]  # fmt: skip

    watcher = EventWatcher(clusters, timeout=300).start()
    assert watcher.wait_ready(60), "watcher not ready"
    per_cluster_s = per_minute / 60 / len(CLUSTERS)
    tick = 0.1
    per_tick = per_cluster_s * tick
    emitted = 0
    stop_at = time.monotonic() + minutes * 60
    next_alert = time.monotonic() + 2
    cpu0 = thread_cpu(("events-",))
    seq = 0
    carry = 0.0
    print(f"emitting {per_minute}/min across {len(CLUSTERS)} clusters for {minutes:g} min")
    while time.monotonic() < stop_at:
        started = time.monotonic()
        carry += per_tick
        n, carry = int(carry), carry - int(carry)
        alert = started >= next_alert
        if alert:
            next_alert += 2
        for name in CLUSTERS:

            def emit(h, n=n, name=name, alert=alert, base=seq):
                rec = h.cluster.control.events
                now_ms = int(time.time() * 1000)
                for j in range(n):
                    k = base + j
                    if k % 2 == 0:  # a crash loop repeats (count bumps)
                        pod = loops[name][k % 40]
                        rec.record(
                            pod,
                            "Warning",
                            "BackOff" if k % 4 else "OOMKilling",
                            f"Back-off restarting failed container main in pod {pod['metadata']['name']}",
                        )
                    else:  # distinct, stamped
                        pod = {
                            "kind": "Pod",
                            "apiVersion": "v1",
                            "metadata": {
                                "name": f"web-{k}",
                                "namespace": "bench",
                                "uid": f"{name}-web-{k}",
                            },
                        }
                        rec.record(
                            pod,
                            "Normal",
                            ("Scheduled", "Pulled", "Started")[k % 3],
                            f"step of web-{k} t={now_ms}",
                        )
                if alert:
                    pod = {
                        "kind": "Pod",
                        "apiVersion": "v1",
                        "metadata": {
                            "name": f"oom-{base}",
                            "namespace": "bench",
                            "uid": f"{name}-oom-{base}",
                        },
                    }
                    # Letters, not digits: each alert is a fingerprint of its own.
                    tag = "".join("qrstvwxzkm"[int(d)] for d in str(base))
                    rec.record(pod, "Warning", "BenchOOM", f"killed {tag} t={now_ms}")

            sim[name].call(emit, sim[name])
        emitted += n * len(CLUSTERS) + (len(CLUSTERS) if alert else 0)
        seq += n
        time.sleep(max(0.0, tick - (time.monotonic() - started)))
    wall = minutes * 60
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not watcher.idle():
        time.sleep(0.2)
    time.sleep(2)
    cpu = thread_cpu(("events-",)) - cpu0
    watcher.stop()
    received = sum(w.written for w in watcher.watches)
    rows = Event.objects.count()
    occurrences = sum(Event.objects.values_list("count", flat=True))
    alerts = len(receiver.latencies)
    print(f"events emitted (k2sim record calls): {emitted}  ({emitted / wall * 60:,.0f}/min)")
    print(f"occurrences stored: {occurrences}  notifications received by the watcher: {received}")
    print(
        f"rows written: {rows}  merge ratio (occurrences / rows): {occurrences / max(rows, 1):.1f}"
    )
    print(
        f"ingestion lag: p50 {pct(lags, 0.5) * 1000:.0f} ms  p99 {pct(lags, 0.99) * 1000:.0f} ms "
        f"over {len(lags)} stamped events"
    )
    print(
        f"event -> alert: p50 {pct(receiver.latencies, 0.5) * 1000:.0f} ms  "
        f"p99 {pct(receiver.latencies, 0.99) * 1000:.0f} ms over {alerts} alerts (target <= 2000 ms)"
    )
    print(f"watcher CPU: {cpu:.1f} s over {wall:.0f} s = {100 * cpu / wall:.0f}% of one core")
    # Baseline: the naive loop, one INSERT per event (no merge), for 2,000 occurrences.
    from django.utils import timezone

    sample = 2000
    t0 = time.monotonic()
    for i in range(sample):
        Event.objects.create(cluster=clusters[0], fingerprint=f"naive-{i}", namespace="bench",
                             kind="Pod", name=f"web-{i}", reason="Started", message="naive",
                             count=1, first_seen=timezone.now(), last_seen=timezone.now())  # fmt: skip
    naive = (time.monotonic() - t0) / sample
    naive_total = naive * occurrences
    print(
        f"baseline, one INSERT per event (the naive loop): {naive * 1000:.2f} ms each = "
        f"{naive_total:.1f} s and {occurrences} rows for these events; batched merge: "
        f"{write_seconds[0]:.1f} s in write_batch and {rows} rows "
        f"({naive_total / max(write_seconds[0], 1e-9):.1f}x less write time, "
        f"{occurrences / max(rows, 1):.0f}x fewer rows)"
    )
    receiver.shutdown()


if __name__ == "__main__":
    main()
