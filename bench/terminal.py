"""Web terminal latency and throughput: what K2Cloud adds to a keystroke's round trip.

    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/terminal.py
    .venv/bin/python tools/test_stack.py -- .venv/bin/python bench/terminal.py --quick

One k2sim cluster runs in this process (its loop thread), K2Cloud runs in a daphne
subprocess on the same database and Redis, and the benchmark's own websocket clients
(aiohttp, as a browser speaks) measure:

- keystroke echo round trip: one byte typed into `cat` on a PTY in raw mode, until its echo comes back,
  --keys times per session, with 1 and with --sessions concurrent sessions, p50/p95/p99;
  through K2Cloud (browser → daphne → k2sim PTY → back) and, in the same run, straight to
  k2sim's exec endpoint (the baseline: the overhead ratio is what K2Cloud adds);
- throughput of --megabytes MB printed by the shell (`head -c N /dev/zero | tr`), both ways.

Targets (ARCHITECTURE.md): echo p99 <= 50 ms at 20 sessions on loopback, at most 2x direct.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import setup_django  # noqa: E402


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Direct:
    """A session straight to k2sim's exec endpoint (v5.channel.k8s.io)."""

    def __init__(self, handle, namespace: str, pod: str):
        self.url = (f"wss://127.0.0.1:{handle.port}/api/v1/namespaces/{namespace}/pods/{pod}/exec"
                    "?container=web&stdin=true&stdout=true&tty=true&command=/bin/sh")  # fmt: skip
        self.ctx = ssl.create_default_context(cafile=str(handle.ca_path))
        self.headers = {"Authorization": f"Bearer {handle.admin_token}"}

    async def open(self, http):
        self.ws = await http.ws_connect(self.url, protocols=("v5.channel.k8s.io",), ssl=self.ctx,
                                        headers=self.headers)  # fmt: skip

    async def send(self, data: bytes):
        await self.ws.send_bytes(b"\x00" + data)

    async def recv(self) -> bytes:
        while True:
            msg = await self.ws.receive()
            if msg.type.name != "BINARY":
                raise RuntimeError(f"stream ended: {msg}")
            if msg.data[:1] in (b"\x01", b"\x02"):
                return msg.data[1:]


class ThroughK2:
    """A session through K2Cloud's terminal websocket (acknowledges like static/src/terminal.js)."""

    def __init__(self, base: str, path: str, cookie: str):
        self.url, self.base, self.cookie = base.replace("http", "ws", 1) + path, base, cookie

    async def open(self, http):
        self.ws = await http.ws_connect(self.url, headers={"Origin": self.base,
                                                           "Cookie": f"sessionid={self.cookie}"})  # fmt: skip
        while True:
            msg = await self.ws.receive()
            if msg.type.name == "TEXT" and json.loads(msg.data).get("state") == "connected":
                return

    async def send(self, data: bytes):
        await self.ws.send_bytes(data)

    async def recv(self) -> bytes:
        while True:
            msg = await self.ws.receive()
            if msg.type.name == "BINARY":
                # Acknowledged as the portal's script does: once 64 KiB are drawn.
                self.drawn = getattr(self, "drawn", 0) + len(msg.data)
                if self.drawn >= 64 * 1024:
                    await self.ws.send_str(json.dumps({"type": "ack", "bytes": self.drawn}))
                    self.drawn = 0
                return msg.data
            if msg.type.name != "TEXT":
                raise RuntimeError(f"stream ended: {msg}")


async def until(session, needle: bytes, buf: bytearray) -> None:
    while needle not in buf:
        buf += await session.recv()


async def echo_run(make, keys: int) -> list[float]:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        s = make()
        await s.open(http)
        buf = bytearray()
        # Raw mode: every byte reaches `cat` at once and comes straight back (no line
        # buffering, no tty echo): one keystroke, one round trip through the PTY.
        await s.send(b"stty raw -echo && cat\r")
        await asyncio.sleep(0.5)
        buf.clear()
        times = []
        for i in range(keys):
            ch = bytes([97 + i % 26])
            t0 = time.perf_counter()
            await s.send(ch)
            while ch not in buf:
                buf += await s.recv()
            times.append((time.perf_counter() - t0) * 1000)
            buf.clear()
        return times  # closing the connection ends the session


async def echo(make, keys: int, sessions: int) -> list[float]:
    results = await asyncio.gather(*(echo_run(make, keys) for _ in range(sessions)))
    return [t for r in results for t in r]


async def throughput(make, megabytes: int) -> float:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        s = make()
        await s.open(http)
        await s.send(b"stty -echo\r")
        await asyncio.sleep(0.3)
        n = megabytes * 1_000_000
        t0 = time.perf_counter()
        await s.send(f"head -c {n} /dev/zero | tr '\\0' a; echo; echo K2DONE\r".encode())
        got = 0
        tail = b""
        while b"K2DONE" not in tail:
            chunk = await s.recv()
            got += len(chunk)
            tail = (tail + chunk)[-64:]
        elapsed = time.perf_counter() - t0
        await s.send(b"exit\r")
        return got / elapsed / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="200 keys, 5 sessions, 5 MB")
    args = parser.parse_args()
    if args.quick:
        args.keys, args.sessions, args.megabytes = 200, 5, 5
    tmp = Path(tempfile.mkdtemp(prefix="k2-bench-terminal-"))
    os.environ.setdefault("K2_TERMINAL_SPOOL_DIR", str(tmp / "spool"))
    os.environ.setdefault("K2_BACKUP_STORE_URL", f"file://{tmp / 'store'}")
    os.environ["K2_TERMINAL_MAX_PER_USER"] = str(args.sessions + 5)
    os.environ["K2_TERMINAL_MAX_PER_SPACE"] = str(args.sessions + 5)
    redis_server = setup_django(tmp)
    say("django set up and migrated")
    from django.contrib.auth import get_user_model
    from django.test import Client
    from kubernetes import client as k8s

    from apps.accounts.roles import Role, ensure_role_groups
    from apps.spaces.choices import ClusterStatus, SpaceRole, SpaceState
    from apps.spaces.models import Membership, Space, SpaceCluster
    from apps.spaces.permissions import grant_role
    from apps.workloads.models import App, AppCluster
    from k2sim.testing import running_clusters
    from tests.helpers import register, wait_for

    with running_clusters(("bench-term",), state_dir=tmp / "k2sim",
                          cluster_options={"bench-term": {"nodes": 1, "pod_ready_delay": 0.05}}) as sim:  # fmt: skip
        handle = sim["bench-term"]
        cluster = register(handle, environment="test", ready=True)
        say("k2sim up, cluster registered")
        ensure_role_groups()
        user = get_user_model().objects.create_user(f"bench-{uuid.uuid4().hex[:6]}", password="x")
        user.groups.set(
            [
                __import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.get(
                    name=Role.EMPLOYEE
                )
            ]
        )
        slug = f"bt-{uuid.uuid4().hex[:6]}"
        space = Space.objects.create(
            slug=slug, environment="test", primary_cluster=cluster, owner=user, quota_cpu="8",
            quota_memory="16Gi", quota_pods=50, quota_storage="10Gi", default_cpu_limit="500m",
            default_memory_limit="512Mi", state=SpaceState.ACTIVE,
        )  # fmt: skip
        SpaceCluster.objects.create(
            space=space, cluster=cluster, is_primary=True, status=ClusterStatus.READY
        )
        Membership.objects.create(space=space, user=user, role=SpaceRole.OWNER)
        grant_role(space, user, SpaceRole.OWNER)
        app = App.objects.create(space=space, name="web", kind="service")
        AppCluster.objects.create(app=app, cluster=cluster, weight=1, status="applied")
        core = k8s.CoreV1Api(handle.api_client())
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=slug)))
        core.create_namespaced_pod(slug, k8s.V1Pod(
            metadata=k8s.V1ObjectMeta(name="web-0", labels={"k2cloud.io/app": "web"}),
            spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="web", image="harbor.k2.test/web:1")])))  # fmt: skip
        wait_for(
            lambda: core.read_namespaced_pod("web-0", slug).status.phase == "Running", timeout=20
        )
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"].value

        port = 18000 + os.getpid() % 1000
        daphne_log = open(tmp / "daphne.log", "w")  # noqa: SIM115 - daphne writes it to the end
        daphne = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "k2cloud.asgi:application"],
            cwd=ROOT, env=dict(os.environ), stdout=daphne_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://localhost:{port}"

        def up():
            try:
                return urllib.request.urlopen(f"{base}/healthz", timeout=1).status == 200
            except OSError:
                return False

        try:
            wait_for(up, timeout=60, interval=0.2)
            say("daphne up")
            path = (
                f"/ws/terminal/{slug}/web/?cluster={cluster.name}&pod=web-0&container=web&shell=sh"
            )
            direct = lambda: Direct(handle, slug, "web-0")  # noqa: E731
            k2 = lambda: ThroughK2(base, path, cookie)  # noqa: E731
            rows = []
            for sessions in (1, args.sessions):
                d = asyncio.run(echo(direct, args.keys, sessions))
                say(f"direct echo x{sessions} done")
                t = asyncio.run(echo(k2, args.keys, sessions))
                say(f"K2Cloud echo x{sessions} done")
                rows.append((sessions, d, t))
            d_tp = asyncio.run(throughput(direct, args.megabytes))
            t_tp = asyncio.run(throughput(k2, args.megabytes))
        finally:
            daphne.terminate()
            daphne.wait(timeout=10)
    print(f"keystroke echo round trip, {args.keys} keys per session (ms):")
    print("| sessions | path | p50 | p95 | p99 | p99 ratio to direct |")
    print("|---|---|---|---|---|---|")
    for sessions, d, t in rows:
        print(
            f"| {sessions} | direct to k2sim | {pct(d, 50):.2f} | {pct(d, 95):.2f} | {pct(d, 99):.2f} | 1.0x |"
        )
        print(f"| {sessions} | through K2Cloud | {pct(t, 50):.2f} | {pct(t, 95):.2f} | {pct(t, 99):.2f} "
              f"| {pct(t, 99) / pct(d, 99):.1f}x |")  # fmt: skip
    print(f"throughput of {args.megabytes} MB: direct {d_tp:.1f} MB/s, through K2Cloud {t_tp:.1f} MB/s "
          f"(K2Cloud at {t_tp / d_tp:.2f}x of direct); mean echo {statistics.mean(rows[-1][2]):.2f} ms")  # fmt: skip
    if redis_server:
        redis_server.stop()


if __name__ == "__main__":
    main()
