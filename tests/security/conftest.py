"""One k2sim cluster for the security tests that need a real space or app."""

import pytest

from apps.clusters import gateway


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    from k2sim.testing import running_clusters

    with running_clusters(("test",), nodes=1, state_dir=tmp_path_factory.mktemp("k2sim")) as c:
        yield c


@pytest.fixture
def cluster(db, sim):
    from tests.clusters.conftest import register

    gateway.reset()
    yield register(sim["test"])
    gateway.reset()
