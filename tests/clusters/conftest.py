"""k2sim clusters for the clusters tests: started once per session, faults cleared per test."""

import base64

import pytest
import yaml

from apps.clusters import gateway
from tests.conftest import sim_for


@pytest.fixture(scope="session")
def sim(k2sim_clusters):
    return sim_for(k2sim_clusters, ("test", "prod", "ml"))


@pytest.fixture(autouse=True)
def _fresh_gateway(request):
    """Every test starts with no cached clients, closed breakers and no faults."""
    gateway.reset()
    yield
    gateway.reset()
    if "sim" in request.fixturenames:
        for handle in request.getfixturevalue("sim"):
            handle.clear_faults()


@pytest.fixture
def fast_probes(settings):
    """Short timeouts and backoffs so fault tests take seconds, not minutes."""
    settings.K2_CLUSTER_CONNECT_TIMEOUT = 1
    settings.K2_CLUSTER_READ_TIMEOUT = 1
    settings.K2_CLUSTER_RETRY_ATTEMPTS = 2
    settings.K2_CLUSTER_RETRY_BACKOFF = 0.05
    settings.K2_CLUSTER_RETRY_BACKOFF_MAX = 0.1
    settings.K2_CLUSTER_PROBE_SLOW_MS = 1500
    settings.K2_CLUSTER_UNREACHABLE_AFTER = 3
    return settings


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


def register(handle, *, name=None, environment="test", actor=None, **kwargs):
    from apps.audit.actors import Actor
    from apps.clusters.services import do_register_cluster

    kwargs.setdefault("kubeconfig", kubeconfig_for(handle))
    return do_register_cluster(
        name=name or handle.name,
        environment=environment,
        actor=actor or Actor.system("tests"),
        **kwargs,
    )
