"""Cost of the audit chain under 20 concurrent writers: throughput and p95, with and without audit.

    SECRET_KEY=bench-secret-key-0123456789abcdef0123456789abcdef0123456789 DEBUG=0 \
      SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=testserver \
      .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/audit_lock.py [-n 15]

Needs PostgreSQL (tools/test_stack.py provides a throwaway one; the benchmark migrates it).
20 threads, each with its own connection, run small unrelated writes: one transaction =
insert a row of a bench table + 5-20 ms of other work in the same transaction (pg_sleep:
waiting on the database or a cluster, not CPU, so the two cores do not decide the result)
+ one audit event. Three variants, interleaved round by round so machine drift hits all:

- `plain`: the same transaction without the audit event (the baseline);
- `audit-late`: the event recorded at the end of the transaction (as docs/audit.md asks);
- `audit-early`: the event recorded first, then the other work (services that record a
  state transition and go on, or call another service, look like this).

Reported: transactions per second and p95 latency per variant, and each audit variant as a
ratio of `plain`. Afterwards `audit_verify` must pass over everything written.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k2cloud.settings")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789abcdef0123456789abcdef0123456789")
os.environ.setdefault("K2_ENCRYPTION_KEYS", "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

WRITERS = 20
VARIANTS = ("plain", "audit-late", "audit-early")


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def one_write(variant: str, writer: int, i: int, rng: random.Random) -> None:
    from apps.audit.actors import Actor
    from apps.audit.services import record

    work = rng.uniform(0.005, 0.020)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_audit_work (writer, n) VALUES (%s, %s)", [writer, i])
        if variant == "audit-early":
            record(Actor.system(f"bench-{writer}"), "bench.write", ("bench.row", i, f"w{writer}"))
        cursor.execute("SELECT pg_sleep(%s)", [work])
        if variant == "audit-late":
            record(Actor.system(f"bench-{writer}"), "bench.write", ("bench.row", i, f"w{writer}"))


def run_variant(variant: str, per_writer: int, seed: int) -> tuple[float, list[float]]:
    """(wall seconds, per-transaction latencies) of WRITERS threads x per_writer writes."""
    start = threading.Barrier(WRITERS + 1)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        rng = random.Random(seed * 1000 + w)
        mine = []
        try:
            connection.ensure_connection()
            start.wait()
            for i in range(per_writer):
                t0 = time.perf_counter()
                one_write(variant, w, i, rng)
                mine.append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{variant}: {errors[:3]}")
    return wall, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="writes per writer per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench/audit_lock.py needs PostgreSQL (run it under tools/test_stack.py)")
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_audit_work (id bigserial PRIMARY KEY, "
            "writer int NOT NULL, n int NOT NULL)"
        )
    connection.close()

    walls = dict.fromkeys(VARIANTS, 0.0)
    lats: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for r in range(args.rounds):
        order = VARIANTS if r % 2 == 0 else tuple(reversed(VARIANTS))
        for variant in order:
            wall, latencies = run_variant(variant, args.n, seed=r)
            walls[variant] += wall
            lats[variant].extend(latencies)

    from apps.audit.verify import verify_chain

    try:  # the sealer, where there is one, has sealed on commit; seal stragglers if any
        from apps.audit.services import seal_chain

        seal_chain()
    except ImportError:
        pass
    report = verify_chain()
    print(f"{WRITERS} writers, {args.n} writes each per round, {args.rounds} rounds, "
          "5-20 ms of other work per transaction")  # fmt: skip
    print(f"{'variant':<12} {'tx/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'tx/s ratio':>11} "
          f"{'p95 ratio':>10}")  # fmt: skip
    base_tps = len(lats["plain"]) / walls["plain"]
    base_p95 = p(lats["plain"], 0.95)
    for variant in VARIANTS:
        tps = len(lats[variant]) / walls[variant]
        p50, p95 = p(lats[variant], 0.50), p(lats[variant], 0.95)
        print(f"{variant:<12} {tps:8.1f} {p50 * 1000:8.1f} {p95 * 1000:8.1f} "
              f"{tps / base_tps:11.2f} {p95 / base_p95:10.2f}")  # fmt: skip
    unsealed = getattr(report, "unsealed", 0)
    print(f"audit_verify: {'ok' if report.ok else report.broken}, {report.checked} events checked, "
          f"{unsealed} unsealed")  # fmt: skip
    if not report.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
