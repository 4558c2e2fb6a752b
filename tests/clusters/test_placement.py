"""Placement picks the emptiest ready cluster of an environment and says why it skipped
the others."""

import pytest

from apps.audit.actors import Actor
from apps.clusters.placement import choose_cluster
from apps.clusters.services import do_cordon_cluster, do_probe_cluster
from tests.clusters.conftest import register
from tests.clusters.test_health import make_pod

pytestmark = pytest.mark.django_db


def test_placement_picks_the_emptiest_ready_cluster_and_skips_cordoned_ones(sim):
    busy = register(sim["test"], name="busy")
    empty = register(sim["ml"], name="empty")
    cordoned = register(sim["prod"], name="cordoned")
    elsewhere = register(sim["prod"], name="prod-one", environment="prod")
    cleanup = make_pod(sim["test"], "placement-load", "4", "16Gi")
    try:
        for cluster in (busy, empty, cordoned, elsewhere):
            do_probe_cluster(cluster)
    finally:
        cleanup()
    do_cordon_cluster(cordoned, actor=Actor.system("tests"))

    result = choose_cluster("test")
    assert result.cluster.name == "empty"
    assert result.skipped == {
        "busy": "less free room than empty",
        "cordoned": "cordoned (no new spaces)",
    }
    assert [room.cluster.name for room in result.candidates] == ["empty", "busy"]
    assert choose_cluster("prod").cluster.name == "prod-one"


def test_placement_explains_when_nothing_fits(sim):
    cluster = register(sim["test"], name="small")
    result = choose_cluster("test")
    assert result.cluster is None
    assert result.skipped == {"small": "not ready (Not probed yet)"}
    do_probe_cluster(cluster)
    # 24 cores x 4 overcommit = 96 cores of limits; 200 do not fit.
    result = choose_cluster("test", cpu="200", memory="1Gi")
    assert result.cluster is None
    assert result.skipped["small"].startswith("not enough free room after overcommit")
    assert "No cluster can take the space: small: not enough" in result.reason
    assert choose_cluster("staging").reason == "No cluster is registered for this environment."


def test_placement_api(sim, alice):
    from tests.conftest import api_as

    do_probe_cluster(register(sim["test"]))
    response = api_as(alice).get("/api/v1/clusters/placement/?environment=test")
    assert response.status_code == 200
    assert response.json() == {"cluster": "test", "reason": "", "skipped": {}}
    assert api_as(alice).get("/api/v1/clusters/placement/?environment=moon").status_code == 400
