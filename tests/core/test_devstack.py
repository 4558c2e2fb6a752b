"""`make run`'s supervisor: everything comes up, serves the portal, and Ctrl-C leaves no process behind."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purpose once it has exited.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def test_devstack_serves_and_ctrl_c_stops_every_child(tmp_path):
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }  # fmt: skip
    env.update(DEBUG="1", K2_VAR_DIR=str(tmp_path), ALLOWED_HOSTS="127.0.0.1,localhost")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    proc = subprocess.Popen(
        [*manage, "devstack", "--port", str(port), "--clusters", "test:test",
         "--k2sim-port-base", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "K2Cloud is up" in line or proc.poll() is not None:
                break
        output = "".join(lines)
        assert "K2Cloud is up" in output, output
        assert "cluster test (test) registered" in output
        pids = [int(p) for p in re.findall(r"pid (\d+):", output)]
        assert len(pids) == 7  # k2sim, worker, interactive worker, beat, watch, events, web

        body = None
        ready_by = time.monotonic() + 60  # six processes import Django at once on 2 cores
        while body is None and time.monotonic() < ready_by:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        assert body == b'{"status": "ok"}'
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "all processes stopped" in rest
    time.sleep(0.5)
    assert [pid for pid in pids if _alive(pid)] == []
    assert not (tmp_path / "redis" / "redis.sock").exists() or not _alive_redis(tmp_path)


def _alive_redis(tmp_path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(tmp_path / "redis" / "redis.sock")).ping())
    except (redis.RedisError, OSError):
        return False
