"""The pure parts on tables and properties: Calico's block release on dicts, the handle
count, and the classification of allocations (no cluster, no database)."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from apps.ipam.blocks import ALREADY, CHANGED, RELEASE, handle_after_release, release_ordinal
from apps.ipam.classify import classify, still_gone

H = "k8s-pod-network."


def attr(handle, pod="p", ns="ns", node="n1"):
    return {"handle_id": handle, "secondary": {"namespace": ns, "pod": pod, "node": node}}


def block_spec(allocations, attributes, size=4):
    return {
        "cidr": "10.0.0.0/30", "allocations": allocations + [None] * (size - len(allocations)),
        "unallocated": [i for i in range(size) if i >= len(allocations) or allocations[i] is None],
        "attributes": attributes, "sequenceNumber": 7,
        "sequenceNumberForAllocation": {str(i): 3 for i, a in enumerate(allocations) if a is not None},
    }  # fmt: skip


def test_release_drops_the_last_reference_and_renumbers_like_calico():
    spec = block_spec([0, 1, 2], [attr(H + "a"), attr(H + "b"), attr(H + "c")])
    d = release_ordinal(spec, 1, H + "b")
    assert d.outcome == RELEASE
    assert d.spec["allocations"] == [0, None, 1, None]
    assert [a["handle_id"] for a in d.spec["attributes"]] == [H + "a", H + "c"]
    assert d.spec["unallocated"] == [3, 1]
    assert "1" not in d.spec["sequenceNumberForAllocation"]
    assert d.spec["sequenceNumber"] == 7  # advanced on assignment only
    assert spec["allocations"] == [0, 1, 2, None]  # the input is not changed


def test_release_keeps_an_attribute_another_allocation_still_uses():
    spec = block_spec([0, 0, 1], [attr(H + "a"), attr(H + "b")])
    d = release_ordinal(spec, 0, H + "a")
    assert d.spec["allocations"] == [None, 0, 1, None] and len(d.spec["attributes"]) == 2


def test_already_free_and_changed_hands_write_nothing():
    spec = block_spec([0, None], [attr(H + "a")])
    assert release_ordinal(spec, 1, H + "a").outcome == ALREADY
    assert release_ordinal(spec, 0, H + "other").outcome == CHANGED
    assert release_ordinal(spec, 9, H + "a").outcome == ALREADY


def test_handle_counts():
    assert handle_after_release({"block": {"10.0.0.0/30": 2}}, "10.0.0.0/30") == {
        "block": {"10.0.0.0/30": 1}
    }
    assert handle_after_release({"block": {"10.0.0.0/30": 1}}, "10.0.0.0/30") is None
    two = {"block": {"10.0.0.0/30": 1, "10.0.0.4/30": 1}}
    assert handle_after_release(two, "10.0.0.0/30") == {"block": {"10.0.0.4/30": 1}}


@given(st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=8, max_size=8), st.data())
def test_release_keeps_every_block_invariant(owners, data):
    """Any block (allocations pointing at handles 0..5), any allocated ordinal released:
    every other address keeps its handle, every attribute stays referenced."""
    handles = sorted({o for o in owners if o is not None})
    index = {h: i for i, h in enumerate(handles)}
    spec = block_spec([None if o is None else index[o] for o in owners],
                      [attr(f"{H}{h}", pod=f"p{h}") for h in handles], size=8)  # fmt: skip
    allocated = [i for i, o in enumerate(owners) if o is not None]
    if not allocated:
        return
    ordinal = data.draw(st.sampled_from(allocated))
    d = release_ordinal(spec, ordinal, f"{H}{owners[ordinal]}")
    new = d.spec
    assert new["allocations"][ordinal] is None and ordinal in new["unallocated"]
    for i, o in enumerate(owners):
        if i != ordinal and o is not None:
            assert new["attributes"][new["allocations"][i]]["handle_id"] == f"{H}{o}"
    assert {a for a in new["allocations"] if a is not None} == set(range(len(new["attributes"])))
    assert sorted(new["unallocated"]) == [i for i, a in enumerate(new["allocations"]) if a is None]


POOL = {"metadata": {"name": "default"}, "spec": {"cidr": "10.0.0.0/24"}}


def block(name, cidr, allocations, attributes):
    size = ipaddress.ip_network(cidr).num_addresses
    allocations = allocations + [None] * (size - len(allocations))
    return {"metadata": {"name": name},
            "spec": {"cidr": cidr, "affinity": "host:n1", "allocations": allocations,
                     "unallocated": [i for i, a in enumerate(allocations) if a is None],
                     "attributes": attributes}}  # fmt: skip


def pod(name, ip, node="n1", ns="ns"):
    return {"metadata": {"namespace": ns, "name": name}, "spec": {"nodeName": node},
            "status": {"podIP": ip, "podIPs": [{"ip": ip}] if ip else []}}  # fmt: skip


def handles(*names):
    return [
        {"metadata": {"name": n}, "spec": {"handleID": n, "block": {"10.0.0.0/30": 1}}}
        for n in names
    ]


def test_classification_table():
    attrs = [attr(H + "live", "live"), attr(H + "gone", "gone"), attr("vxlan-tunnel-addr-n1", "x"),
             attr(H + "nohandle", "gone2"), attr(H + "moved", "moved"), attr(H + "pending", "pending")]  # fmt: skip
    b = block("b0", "10.0.0.0/29", [0, 1, 2, 3, 4, 5], attrs)
    scan = classify(pools=[POOL], blocks=[b], affinities=[], nodes=[{"metadata": {"name": "n1"}}],
                    handles=handles(H + "live", H + "gone", H + "moved", H + "pending"),
                    pods=[pod("live", "10.0.0.0"), pod("moved", "10.0.0.99"), pod("pending", "")])  # fmt: skip
    got = {a.ip: (a.klass, a.reason) for a in scan.allocations}
    assert got["10.0.0.0"][0] == "in_use"
    assert got["10.0.0.1"] == ("leaked", "pod ns/gone no longer exists")
    assert got["10.0.0.2"][0] == "not_pod"
    assert got["10.0.0.3"][0] == "no_handle"
    assert got["10.0.0.4"] == ("leaked", "pod ns/moved now has 10.0.0.99")
    assert got["10.0.0.5"] == ("in_use", "the pod has no IP yet")
    assert scan.pools[0].leaked == 2 and scan.pools[0].allocated == 6


def test_an_address_shown_by_any_live_pod_is_never_a_candidate():
    b = block("b0", "10.0.0.0/30", [0], [attr(H + "old", "old")])
    scan = classify(pools=[POOL], blocks=[b], affinities=[], nodes=[], handles=handles(H + "old"),
                    pods=[pod("other", "10.0.0.0")])  # fmt: skip
    assert scan.allocations[0].klass == "in_use" and "ns/other" in scan.allocations[0].reason


def test_disabled_foreign_and_poolless_addresses_are_blocked():
    b1 = block("b1", "10.0.0.0/30", [0], [attr(H + "a", "a")])
    b2 = block("b2", "10.9.0.0/30", [0], [attr(H + "b", "b")])
    disabled = {"metadata": {"name": "default"}, "spec": {"cidr": "10.0.0.0/24", "disabled": True}}
    scan = classify(pools=[disabled], blocks=[b1, b2], affinities=[], nodes=[], pods=[],
                    handles=handles(H + "a", H + "b"))  # fmt: skip
    assert {a.blocked_by for a in scan.candidates} == {
        "pool default is disabled",
        "outside every IPPool",
    }
    assert scan.releasable == []
    scan = classify(pools=[POOL], blocks=[b1], affinities=[], nodes=[], pods=[],
                    handles=handles(H + "a"), managed_pools=["other-pool"])  # fmt: skip
    assert "not one of K2Cloud's pools" in scan.candidates[0].blocked_by


def test_malformed_blocks_orphans_and_stale_affinities_are_reported_in_words():
    bad = block("bad", "10.0.0.0/30", [0, 5], [attr(H + "a", "a")])
    bad["spec"]["allocations"] = [0, 5]  # 2 entries for 4 addresses, and an index past the end
    orphan = {"metadata": {"name": H + "orphan"}, "spec": {"block": {"10.0.0.0/30": 1}}}
    dangling = {"metadata": {"name": H + "dangling"}, "spec": {"block": {"10.7.0.0/26": 1}}}
    aff = {
        "metadata": {"name": "gone-10-0-0-0-30"},
        "spec": {"node": "gone", "cidr": "10.0.0.0/30"},
    }
    scan = classify(pools=[POOL], blocks=[bad], affinities=[aff], nodes=[], pods=[],
                    handles=[orphan, dangling, *handles(H + "a")])  # fmt: skip
    assert scan.problems == ["block bad: 2 allocations for 4 addresses"]
    assert "bad" in scan.malformed_blocks and scan.releasable == []
    assert {
        "handle": H + "orphan",
        "reason": "has no allocation",
        "deletable": True,
    } in scan.orphan_handles
    assert scan.deletable_handles == [H + "dangling", H + "orphan"]
    assert any(
        o["handle"] == H + "dangling" and "does not exist" in o["reason"]
        for o in scan.orphan_handles
    )
    assert scan.stale_affinities == [
        {"name": "gone-10-0-0-0-30", "node": "gone", "cidr": "10.0.0.0/30"}
    ]


def test_the_fresh_get_proof():
    b = block("b0", "10.0.0.0/30", [0], [attr(H + "a", "a")])
    a = classify(
        pools=[POOL], blocks=[b], affinities=[], nodes=[], pods=[], handles=handles(H + "a")
    ).candidates[0]
    assert still_gone(a, None) == ""
    assert still_gone(a, pod("a", "10.0.0.3")) == ""
    assert "still has" in still_gone(a, pod("a", "10.0.0.0"))
    assert "no IP yet" in still_gone(a, pod("a", ""))
