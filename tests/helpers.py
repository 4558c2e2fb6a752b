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
