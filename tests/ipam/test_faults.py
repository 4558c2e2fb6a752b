"""Bad input and faults, each reported in words with IPAM left consistent: no Calico, a
malformed block, a handle pointing at a missing block, too much of a pool looking leaked,
the release bound, a cluster that goes away mid-run; and the singleton lock that skips."""

from __future__ import annotations

import contextlib

import pytest
from kubernetes.client.rest import ApiException

from apps.audit.models import AuditEvent
from apps.clusters import gateway
from apps.ipam import cluster_ops
from apps.ipam.choices import RunState, Trigger
from apps.ipam.models import IpamPolicy
from apps.ipam.services import _lock, policy_for, run_cluster
from tests.helpers import register
from tests.ipam.conftest import ADMIN, delete_pods, make_pods, pass_grace

pytestmark = pytest.mark.django_db
GROUP, VERSION = "crd.projectcalico.org", "v1"


def _run(cluster, trigger=Trigger.SCHEDULE):
    return run_cluster(cluster, trigger=trigger, actor=ADMIN)


def test_a_cluster_without_calico_is_reported_as_such_not_as_an_error(sim):
    cluster = register(sim["ipam-nocalico"], ready=True)
    run = _run(cluster)
    assert run.state == RunState.NO_CALICO
    assert "No Calico" in run.error and run.report["calico"] is False


@pytest.fixture
def broken_objects(custom):
    """A block whose allocations do not fit its size and point past its attributes, and a
    handle that counts an address in a block that does not exist (removed afterwards)."""
    bad = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "IPAMBlock",
           "metadata": {"name": "10-244-250-0-26"},
           "spec": {"cidr": "10.244.250.0/26", "affinity": "host:gone-node", "strictAffinity": False,
                    "allocations": [0, 7, None], "unallocated": [2, 99],
                    "attributes": [{"handle_id": "k8s-pod-network.aaaa",
                                    "secondary": {"namespace": "x", "pod": "y", "node": "gone-node"}}]}}  # fmt: skip
    handle = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "IPAMHandle",
              "metadata": {"name": "k8s-pod-network.dangling"},
              "spec": {"handleID": "k8s-pod-network.dangling", "block": {"10.244.251.0/26": 1}}}  # fmt: skip
    custom.create_cluster_custom_object(GROUP, VERSION, "ipamblocks", bad)
    custom.create_cluster_custom_object(GROUP, VERSION, "ipamhandles", handle)
    yield
    custom.delete_cluster_custom_object(GROUP, VERSION, "ipamblocks", "10-244-250-0-26")
    with contextlib.suppress(ApiException):  # a release run may have deleted it (no allocation)
        custom.delete_cluster_custom_object(
            GROUP, VERSION, "ipamhandles", "k8s-pod-network.dangling"
        )


def test_malformed_blocks_and_dangling_handles_are_reported_and_left_alone(
    cluster, custom, broken_objects
):
    before = custom.get_cluster_custom_object(GROUP, VERSION, "ipamblocks", "10-244-250-0-26")
    run = _run(cluster)
    pass_grace(cluster)
    run = _run(cluster)
    assert run.state == RunState.SUCCEEDED, run.error
    problems = " ".join(run.report["problems"])
    assert "10-244-250-0-26: 3 allocations for 64 addresses" in problems
    assert any(h["handle"] == "k8s-pod-network.dangling" and "does not exist" in h["reason"]
               for h in run.report["orphan_handles"])  # fmt: skip
    after = custom.get_cluster_custom_object(GROUP, VERSION, "ipamblocks", "10-244-250-0-26")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert not [r for r in run.report["released"] if r["block"] == "10-244-250-0-26"]


def test_a_run_stops_and_alerts_when_too_much_of_a_pool_looks_leaked(
    cluster, core, namespace, leak_all
):
    make_pods(core, namespace, 4, prefix="many")
    delete_pods(core, namespace, [f"many-{i}" for i in range(4)])
    IpamPolicy.objects.filter(cluster=cluster).update(max_leaked_share=0.05)
    _run(cluster)
    pass_grace(cluster)
    run = _run(cluster)
    assert run.state == RunState.STOPPED
    assert run.counts["released"] == 0 and run.counts["eligible"] >= 4
    assert "look leaked" in run.report["stopped"]
    assert AuditEvent.objects.filter(action="ipam.alert", cluster_id=cluster.name).exists()


def test_releases_per_run_are_bounded(cluster, core, namespace, leak_all):
    make_pods(core, namespace, 5, prefix="bound")
    delete_pods(core, namespace, [f"bound-{i}" for i in range(5)])
    IpamPolicy.objects.filter(cluster=cluster).update(release_bound=2)
    _run(cluster)
    pass_grace(cluster)
    run = _run(cluster)
    assert run.counts["released"] == 2
    assert run.counts["deferred"] == run.counts["eligible"] - 2 >= 3


def test_a_cluster_that_goes_away_mid_run_is_reported_and_ipam_stays_consistent(
    cluster, core, custom, namespace, leak_all, sim, monkeypatch, settings
):
    settings.K2_CLUSTER_RETRY_ATTEMPTS = 1
    # Leaks on two nodes: two blocks, so two block writes; the cluster goes after the first.
    make_pods(core, namespace, 2, prefix="away-a", node="ipam-node-1")
    make_pods(core, namespace, 1, prefix="away-b", node="ipam-node-2")
    delete_pods(core, namespace, ["away-a-0", "away-a-1", "away-b-0"])
    _run(cluster)
    pass_grace(cluster)
    real_replace = cluster_ops.replace_block

    def write_then_vanish(c, block, **kw):
        answer = real_replace(c, block, **kw)
        sim["ipam"].set_faults(refuse_connections=True)
        return answer

    monkeypatch.setattr(cluster_ops, "replace_block", write_then_vanish)
    try:
        run = _run(cluster)
    finally:
        sim["ipam"].clear_faults()
        gateway.reset(cluster.pk)
    assert run.state == RunState.FAILED
    assert "stopped answering" in run.error
    assert run.counts["released"] >= 1
    # Consistent: every allocation points at an attribute, every attribute is used.
    for block in custom.list_cluster_custom_object(GROUP, VERSION, "ipamblocks")["items"]:
        spec = block["spec"]
        used = {a for a in spec["allocations"] if a is not None}
        assert used == set(range(len(spec["attributes"])))
    monkeypatch.undo()
    after = _run(cluster)
    assert after.state == RunState.SUCCEEDED
    assert after.counts["released"] >= 1  # the next run goes on
    # The handles the interrupted run could not update are orphans now: after the grace
    # period they are deleted, and the handles then agree with the blocks again.
    left = {o["handle"] for o in after.report["orphan_handles"] if o["deletable"]}
    assert left and after.counts["handles_held_grace"] >= len(left)
    pass_grace(cluster)
    cleaned = _run(cluster)
    assert left <= set(cleaned.report["handles_deleted"])
    assert not [o for o in _run(cluster).report["orphan_handles"] if o["deletable"]]
    handles = {
        h["metadata"]["name"]
        for h in custom.list_cluster_custom_object(GROUP, VERSION, "ipamhandles")["items"]
    }
    assert not left & handles


def test_a_second_run_at_the_same_time_is_skipped_not_queued(cluster):
    lock = _lock(cluster)
    assert lock.acquire()
    try:
        run = _run(cluster)
    finally:
        lock.release()
    assert run.state == RunState.SKIPPED and "under way" in run.error
    assert _run(cluster).state == RunState.SUCCEEDED


def test_policy_defaults_follow_the_environment(sim):
    prod = register(sim["ipam-nocalico"], name="ipam-prod", environment="prod", ready=True)
    test = register(sim["ipam-nocalico"], name="ipam-test", environment="test", ready=True)
    assert policy_for(prod).mode == "report"
    assert policy_for(test).mode == "release"
    assert policy_for(test).grace_seconds == 900 and policy_for(test).release_bound == 200
