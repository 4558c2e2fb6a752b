"""Small helpers shared by the test areas (and the benchmarks): polling, clusters."""

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from apps.audit.actors import Actor
from apps.clusters.choices import Health
from apps.clusters.models import Cluster
from apps.clusters.services import do_register_cluster


def wait_for(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until check() returns something truthy and return it; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s; last value: {value!r}")


def kubeconfig_for(handle, *, token=None, ca_pem=None, server=None, context=None, user=None) -> str:
    """A kubeconfig with everything inline (what K2Cloud accepts) for a k2sim cluster."""
    ca = ca_pem if ca_pem is not None else handle.ca_path.read_text()
    name = context or handle.name
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": server or handle.url,
                    "certificate-authority-data": base64.b64encode(ca.encode()).decode(),
                },
            }
        ],
        "users": [{"name": f"{name}-user", "user": user or {"token": token or handle.admin_token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-user"}}],
        "current-context": name,
    }
    return yaml.safe_dump(doc, sort_keys=False)


def register(handle, *, name=None, environment="test", actor=None, ready=False, **kwargs):
    """Register a k2sim cluster through the registration service, as an admin would (the
    one way tests and benchmarks make Cluster rows). `probe_now=True` probes it at once;
    `ready=True` marks it healthy without a probe (for areas whose subject is not health)."""
    kwargs.setdefault("kubeconfig", kubeconfig_for(handle))
    cluster = do_register_cluster(
        name=name or handle.name,
        environment=environment,
        actor=actor or Actor.system("tests"),
        **kwargs,
    )
    if ready:
        Cluster.objects.filter(pk=cluster.pk).update(health=Health.READY)
        cluster.refresh_from_db()
    return cluster


def free_port() -> int:
    """A free TCP port on loopback (for the servers tests start: daphne, S3, registries)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_daphne(settings, tmp_path, *, tls: tuple | None = None):
    """K2Cloud served by daphne in its own process on the test database and Redis, with a
    recording store shared with this process; yields its base URL. `tls` = (cert, key, CA):
    HTTPS (kubectl sends bearer tokens over TLS only). A generator for fixtures."""
    import os
    import ssl
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    from django.db import connection

    root = Path(__file__).resolve().parent.parent
    store = f"file://{tmp_path / 'store'}"
    settings.K2_BACKUP_STORE_URL = store
    env = dict(
        os.environ, K2_BACKUP_STORE_URL=store, K2_TERMINAL_SPOOL_DIR=settings.K2_TERMINAL_SPOOL_DIR
    )
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    port = free_port()
    if tls:
        cert, key, ca = tls
        args = ["-e", f"ssl:port={port}:interface=127.0.0.1:privateKey={key}:certKey={cert}"]
        url, context = f"https://localhost:{port}", ssl.create_default_context(cafile=str(ca))
    else:
        # Chromium sends Secure cookies over plain http to localhost only.
        args, url, context = ["-b", "127.0.0.1", "-p", str(port)], f"http://localhost:{port}", None
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", *args, "k2cloud.asgi:application"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip

    def up():
        try:
            return (
                urllib.request.urlopen(f"{url}/healthz", timeout=1, context=context).status == 200
            )
        except OSError:
            assert proc.poll() is None, proc.stdout.read()
            return False

    wait_for(up, timeout=60, interval=0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
