"""The chaos rig: k2sim with added latency, a real Celery worker (prefork, so there is a
pool process distinct from the main one) that the tests kill with SIGKILL and restart, the
suite's embedded Redis restarted in place (its append-only file keeps the queue), and
the sweeper run every second from the test process with short periods.

Timings (also given to the worker through its environment): locks and liveness keys live
2 s unless renewed, an operation's lease 4 s, a space or app that has not moved for 4 s
is retried by the sweeper. Production uses 10 s / 30 s / 300 s (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import connection

from k2cloud.queues import WORKER_QUEUES

ROOT = Path(__file__).resolve().parents[2]
TIMINGS = {"K2_LOCK_TTL_SECONDS": "2", "K2_OPERATION_LEASE_SECONDS": "4",
           "K2_STUCK_AFTER_SECONDS": "4"}  # fmt: skip
REPORT = ROOT / "var" / "chaos-report.json"


class Worker:
    """One `celery worker` (main process + pool processes) in its own process group."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, *, wait: bool = True) -> None:
        self.starts += 1
        out = self.log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "k2cloud", "worker", "--pool=prefork",
             "--concurrency=2", "-Q", WORKER_QUEUES, "--loglevel=WARNING", "--without-heartbeat",
             "--without-gossip", "--without-mingle", "-n", f"chaos{self.starts}@%h"],
            cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the chaos worker exited; see {self.log}")
            if len(self.pool_pids()) >= 2:
                return
            time.sleep(0.2)
        pytest.fail(f"the chaos worker's pool did not start within {timeout}s; see {self.log}")

    def pool_pids(self) -> list[int]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_pool(self) -> None:
        """kill -9 every pool process; the main process forks new ones."""
        for pid in self.pool_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def kill_main(self) -> None:
        """kill -9 the main process and its pool together (a crashed machine or stack)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class SuiteRedis:
    """The suite's embedded Redis (tools/test_stack.py), restarted in place: same socket,
    same directory, so its append-only file brings the queue back."""

    def __init__(self, url: str):
        from k2cloud.embedded_redis import EmbeddedRedis

        parsed = urlparse(url)
        self.embedded = EmbeddedRedis(Path(parsed.path).parent) if parsed.scheme == "unix" else None

    @property
    def restartable(self) -> bool:
        return self.embedded is not None

    def restart(self) -> None:
        import redis

        client = redis.Redis(unix_socket_path=str(self.embedded.socket))
        # Writes out the append-only file, like a stop of `make run`; the server closes the
        # connection as it exits.
        with contextlib.suppress(redis.ConnectionError):
            client.shutdown()
        deadline = time.monotonic() + 10
        while self.embedded.ping() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.embedded.start()
        _reconnect_this_process()

    def stop(self) -> None:
        self.embedded.stop()  # only a server this rig started


def _reconnect_this_process() -> None:
    """Drop this process's connections to the old Redis server (broker, results, cache,
    liveness), so later tests start on fresh ones instead of a broken pipe."""
    from django.core.cache import caches

    from apps.core import redis_client
    from k2cloud.celery import app

    # New pools are made on next use (closing the old ones would leave them unusable).
    app._pool = None
    app.amqp._producer_pool = None
    with contextlib.suppress(Exception):
        app.backend.client.connection_pool.disconnect()
    for cache in caches.all():
        pools = getattr(getattr(cache, "_cache", None), "_pools", None)
        if isinstance(pools, dict):
            for pool in pools.values():
                pool.disconnect()
    redis_client.reset()


@pytest.fixture(scope="session")
def chaos_report():
    rounds: list[dict] = []
    yield rounds
    if not rounds:
        return
    times = sorted(r["recovery_seconds"] for r in rounds if r["recovery_seconds"] is not None)
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)] if times else None
    summary = {
        "rounds": len(rounds), "passed": sum(r["passed"] for r in rounds),
        "recovery_p95_seconds": p95, "recovery_max_seconds": times[-1] if times else None,
        "details": rounds,
    }  # fmt: skip
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nchaos: {summary['passed']}/{summary['rounds']} rounds passed, recovery p95 "
          f"{p95}s, max {summary['recovery_max_seconds']}s (var/chaos-report.json)")  # fmt: skip
    for r in rounds:
        print(
            f"  {r['scenario']:<16} kill {r['kill']:<11} {r['kill_after']:.2f}s in: "
            f"{'ok' if r['passed'] else 'FAILED'} in {r['recovery_seconds']}s {r['detail']}"
        )


@pytest.fixture(scope="session")
def chaos_sim(tmp_path_factory):
    from k2sim.testing import running_clusters

    with running_clusters(
        ("chaos-test", "chaos-prod"), nodes=1, state_dir=tmp_path_factory.mktemp("k2sim-chaos"),
        pod_ready_delay=0.05, install_calico=False,
    ) as clusters:  # fmt: skip
        for name in ("chaos-test", "chaos-prod"):
            clusters[name].set_faults(latency_ms=80)
        yield clusters


@pytest.fixture(scope="session")
def suite_redis():
    from django.conf import settings

    server = SuiteRedis(settings.REDIS_URL)
    yield server
    if server.restartable and server.embedded.process is not None:
        server.stop()


@pytest.fixture(scope="module")
def chaos_worker(django_db_setup, tmp_path_factory):
    """The worker, started once per module (main-process kills restart it)."""
    env = dict(os.environ, **TIMINGS)
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    worker = Worker(env, tmp_path_factory.mktemp("chaos-worker") / "worker.log")
    worker.start()
    yield worker
    worker.stop()
    # Retries and sweeps still queued belong to rows the test database no longer has: they
    # must not reach the workers of later tests.
    from k2cloud.celery import app

    app.control.purge()


@pytest.fixture
def chaos_settings(settings):
    for name, value in TIMINGS.items():
        setattr(settings, name, float(value))
    return settings
