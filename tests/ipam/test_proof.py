"""Proof before release and writes without a lock: a re-created pod keeps its new IP, a
pod the LIST missed but a fresh GET finds keeps its IP, a 409 is re-read (never forced),
two releases at once release each IP once."""

from __future__ import annotations

import threading

import pytest

from apps.clusters import gateway
from apps.ipam import cluster_ops
from apps.ipam.choices import Trigger
from apps.ipam.models import LeakCandidate
from apps.ipam.release import ALREADY_RELEASED, RELEASED, release_address
from apps.ipam.services import run_cluster
from tests.ipam.conftest import ADMIN, delete_pods, k2sim_leaked, make_pods, pass_grace

pytestmark = pytest.mark.django_db
GROUP, VERSION = "crd.projectcalico.org", "v1"


def _run(cluster):
    return run_cluster(cluster, trigger=Trigger.SCHEDULE, actor=ADMIN)


def _allocated(custom) -> dict[str, str]:
    """{ip: handle} of every allocation in the cluster's blocks."""
    import ipaddress

    out = {}
    for block in custom.list_cluster_custom_object(GROUP, VERSION, "ipamblocks")["items"]:
        spec = block["spec"]
        net = ipaddress.ip_network(spec["cidr"])
        for ordinal, index in enumerate(spec["allocations"]):
            if index is not None:
                out[str(net[ordinal])] = spec["attributes"][index]["handle_id"]
    return out


def test_a_pod_recreated_with_the_same_name_keeps_its_new_ip(
    cluster, core, custom, namespace, leaked_pod
):
    name, old_ip = leaked_pod
    assert _run(cluster).counts["held_grace"] >= 1
    new_ip = make_pods(core, namespace, 1, prefix="leak")[name]
    assert new_ip != old_ip
    pass_grace(cluster)
    run = _run(cluster)
    assert old_ip in {r["ip"] for r in run.report["released"]}, run.report
    assert core.read_namespaced_pod(name, namespace).status.pod_ip == new_ip
    allocated = _allocated(custom)
    assert old_ip not in allocated and new_ip in allocated


def test_a_pod_missing_from_the_list_but_found_by_a_fresh_get_is_not_released(
    cluster, core, custom, namespace, monkeypatch
):
    ip = make_pods(core, namespace, 1, prefix="stale")["stale-0"]
    real_list = cluster_ops.list_all

    def stale_list(c, kind, **kw):  # a LIST that missed the pod (a stale cache)
        items = real_list(c, kind, **kw)
        if kind == "pods":
            items = [p for p in items if p["metadata"]["name"] != "stale-0"]
        return items

    monkeypatch.setattr(cluster_ops, "list_all", stale_list)
    first = _run(cluster)
    assert ip in {c["ip"] for c in first.report["candidates"]}
    pass_grace(cluster)
    run = _run(cluster)
    held = [h for h in run.report["held"] if h["ip"] == ip]
    assert held and "still has" in held[0]["held"]
    assert ip not in {r["ip"] for r in run.report["released"]}
    assert ip in _allocated(custom)
    assert core.read_namespaced_pod("stale-0", namespace).status.pod_ip == ip


def _bump(custom, name: str, value: str) -> None:
    """Another writer (Calico) changes the block: a new resourceVersion."""
    custom.patch_cluster_custom_object(GROUP, VERSION, "ipamblocks", name,
                                       {"metadata": {"labels": {"other-writer": value}}})  # fmt: skip


def test_a_409_is_re_read_and_decided_again_never_forced(cluster, custom, leaked_pod, monkeypatch):
    _name, ip = leaked_pod
    _run(cluster)
    pass_grace(cluster)
    real_replace = cluster_ops.replace_block
    calls = []

    def racing_replace(c, block, **kw):
        calls.append(block["metadata"]["resourceVersion"])
        if len(calls) == 1:
            _bump(custom, block["metadata"]["name"], "was-here")
        return real_replace(c, block, **kw)

    monkeypatch.setattr(cluster_ops, "replace_block", racing_replace)
    run = _run(cluster)
    assert run.counts["conflicts"] >= 1
    assert ip in {r["ip"] for r in run.report["released"]}
    assert ip not in _allocated(custom)
    assert len(set(calls[:2])) == 2, "the second write must carry the re-read resourceVersion"
    blocks = custom.list_cluster_custom_object(GROUP, VERSION, "ipamblocks")["items"]
    assert any(
        (b["metadata"].get("labels") or {}).get("other-writer") == "was-here" for b in blocks
    )


def test_a_409_on_every_write_gives_up_and_leaves_ipam_as_it_was(
    cluster, custom, leaked_pod, monkeypatch, settings
):
    settings.K2_IPAM_CONFLICT_RETRIES = 3
    _name, ip = leaked_pod
    _run(cluster)
    pass_grace(cluster)
    real_replace = cluster_ops.replace_block
    counter = iter(range(1000))

    def always_raced(c, block, **kw):
        _bump(custom, block["metadata"]["name"], f"w{next(counter)}")
        return real_replace(c, block, **kw)

    monkeypatch.setattr(cluster_ops, "replace_block", always_raced)
    run = _run(cluster)
    assert run.counts["released"] == 0 and run.counts["gave_up"] >= 1
    assert run.counts["conflicts"] >= 3
    assert any(ip in e and "409" in e for e in run.report["errors"]), run.report["errors"]
    assert ip in _allocated(custom)
    assert LeakCandidate.objects.filter(cluster=cluster, ip=ip).exists()  # the next run tries again


def test_two_releases_at_once_release_each_ip_once(cluster, core, custom, namespace, leak_all, sim):
    make_pods(core, namespace, 6, prefix="twice")
    delete_pods(core, namespace, [f"twice-{i}" for i in range(6)])
    run = _run(cluster)
    targets = [c for c in run.report["candidates"] if c["pod"].startswith(f"{namespace}/twice-")]
    assert len(targets) == 6
    rows = {r.ip: r for r in LeakCandidate.objects.filter(cluster=cluster)}
    outcomes: dict[str, list[str]] = {t["ip"]: [] for t in targets}
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        for t in targets:
            row = rows[t["ip"]]
            result = release_address(cluster, block=row.block, cidr=row.cidr, ordinal=row.ordinal,
                                     handle=row.handle)  # fmt: skip
            outcomes[t["ip"]].append(result.outcome)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for ip, got in outcomes.items():
        assert sorted(got) == sorted([RELEASED, ALREADY_RELEASED]), (ip, got)
    assert not {t["handle"] for t in targets} & k2sim_leaked(sim)
    handles = {
        h["metadata"]["name"]
        for h in custom.list_cluster_custom_object(GROUP, VERSION, "ipamhandles")["items"]
    }
    assert not {t["handle"] for t in targets} & handles
    gateway.reset(cluster.pk)
