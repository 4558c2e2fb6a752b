"""The cleanup journey against k2sim with ip_leak_rate: the scan finds exactly what k2sim
leaked, nothing is released within the grace period, everything after it, and new pods
get those addresses again; report-only mode reports the same and releases nothing."""

from __future__ import annotations

import ipaddress

import pytest

from apps.audit.models import AuditEvent
from apps.ipam.choices import Mode, RunState, Trigger
from apps.ipam.services import do_update_policy, run_cluster
from tests.ipam.conftest import ADMIN, delete_pods, k2sim_leaked, make_pods, pass_grace

pytestmark = pytest.mark.django_db

GROUP, VERSION = "crd.projectcalico.org", "v1"


def _run(cluster, trigger=Trigger.SCHEDULE):
    return run_cluster(cluster, trigger=trigger, actor=ADMIN)


def _blocks(custom):
    return custom.list_cluster_custom_object(GROUP, VERSION, "ipamblocks")["items"]


def test_scan_finds_what_k2sim_leaked_and_releases_it_after_the_grace_period(
    cluster, core, custom, namespace, sim
):
    ips = make_pods(core, namespace, 200)
    delete_pods(core, namespace, [f"p-{i}" for i in range(150)])
    leaked = k2sim_leaked(sim)
    assert 20 < len(leaked) < 80, "k2sim's leak rate should leave about a third behind"

    first = _run(cluster)
    assert first.state == RunState.SUCCEEDED, first.error
    found = {c["handle"] for c in first.report["candidates"]}
    assert found == leaked
    assert first.counts["leaked"] == len(leaked)
    assert first.counts["in_use"] >= 50  # the 50 live pods, at least
    assert first.counts["released"] == 0 and first.counts["held_grace"] == len(leaked)
    pool = first.report["pools"][0]
    assert pool["leaked"] == len(leaked) and pool["allocated"] >= 50 + len(leaked)

    # Within the grace period a second scan still releases nothing.
    second = _run(cluster)
    assert second.counts["released"] == 0 and second.counts["held_grace"] == len(leaked)
    assert k2sim_leaked(sim) == leaked

    # Report-only mode: after the grace period the same numbers, nothing released.
    pass_grace(cluster)
    do_update_policy(cluster, actor=ADMIN, mode=Mode.REPORT)
    report_only = _run(cluster)
    assert report_only.counts["leaked"] == len(leaked)
    assert report_only.counts["eligible"] == len(leaked)
    assert report_only.counts["released"] == 0 and not report_only.report["release"]
    assert k2sim_leaked(sim) == leaked

    # Release mode: every leaked address goes, each audited with its handle and block.
    do_update_policy(cluster, actor=ADMIN, mode=Mode.RELEASE)
    third = _run(cluster)
    assert third.state == RunState.SUCCEEDED, third.error
    assert third.counts["released"] == len(leaked), third.report
    assert k2sim_leaked(sim) == set()
    released_ips = {r["ip"] for r in third.report["released"]}
    events = AuditEvent.objects.filter(action="ipam.release", cluster_id=cluster.name)
    assert {e.changes["handle"] for e in events} == leaked
    assert {e.target_id for e in events} == released_ips
    live = {ips[f"p-{i}"] for i in range(150, 200)}
    assert not released_ips & live, "a live pod's address was released"

    # The blocks are consistent: every released ordinal is unallocated, no attribute
    # is left without an allocation.
    for block in _blocks(custom):
        spec = block["spec"]
        net = ipaddress.ip_network(spec["cidr"])
        used = {a for a in spec["allocations"] if a is not None}
        assert used == set(range(len(spec["attributes"]))), block["metadata"]["name"]
        for ordinal in spec["unallocated"]:
            assert spec["allocations"][ordinal] is None
            assert str(net[ordinal]) not in live
    again = _run(cluster)
    assert again.counts["leaked"] == 0 and again.counts["released"] == 0

    # New pods get those addresses again: fill the blocks of one node that had leaks.
    by_node: dict[str, list[dict]] = {}
    for block in _blocks(custom):
        by_node.setdefault(block["spec"]["affinity"].removeprefix("host:"), []).append(block)

    def released_on(blocks):
        nets = [ipaddress.ip_network(b["spec"]["cidr"]) for b in blocks]
        return {ip for ip in released_ips if any(ipaddress.ip_address(ip) in n for n in nets)}

    node, blocks = min(((n, b) for n, b in by_node.items() if released_on(b)),
                       key=lambda nb: sum(len(b["spec"]["unallocated"]) for b in nb[1]))  # fmt: skip
    free = sum(len(b["spec"]["unallocated"]) for b in blocks)
    new_ips = set(make_pods(core, namespace, free, prefix="again", node=node).values())
    assert released_on(blocks) <= new_ips
