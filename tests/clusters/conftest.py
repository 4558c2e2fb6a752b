"""k2sim clusters for the clusters tests: started once per session, faults cleared per test."""

import pytest

from apps.clusters import gateway
from tests.conftest import sim_for
from tests.helpers import kubeconfig_for, register  # noqa: F401  (the tests import them from here)


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
