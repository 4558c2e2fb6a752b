"""Unit tests of the pure pieces: selectors, patch types, server-side apply bookkeeping."""

from __future__ import annotations

import pytest

from k2sim.apply import apply, decode, encode, fieldset, record_update
from k2sim.errors import ApiError
from k2sim.openapi import SchemaCursor, schemas
from k2sim.patch import json_patch, merge_patch, strategic_merge
from k2sim.selectors import (
    label_selector_string,
    parse_field_selector,
    parse_label_selector,
    selector_from_label_selector,
)


def deploy_cursor() -> SchemaCursor:
    return SchemaCursor(schemas().for_gvk("apps", "v1", "Deployment"))


@pytest.mark.parametrize(
    ("expr", "labels", "expected"),
    [
        ("a=1", {"a": "1"}, True),
        ("a==1", {"a": "2"}, False),
        ("a!=1", {}, True),
        ("a!=1", {"a": "1"}, False),
        ("a in (1, 2)", {"a": "2"}, True),
        ("a in (1,2)", {"a": "3"}, False),
        ("a notin (1,2)", {}, True),
        ("a notin (1,2)", {"a": "1"}, False),
        ("a", {"a": ""}, True),
        ("!a", {"a": "x"}, False),
        ("!a", {}, True),
        ("a=1,b in (x,y),!c", {"a": "1", "b": "y"}, True),
        ("a=1,b in (x,y),!c", {"a": "1", "b": "y", "c": "z"}, False),
        ("", {"anything": "x"}, True),
    ],
)
def test_label_selector(expr, labels, expected):
    assert parse_label_selector(expr)(labels) is expected


def test_label_selector_rejects_garbage():
    with pytest.raises(ApiError) as exc:
        parse_label_selector("a in (1")
    assert exc.value.code == 400


def test_field_selector():
    obj = {
        "metadata": {"name": "p", "namespace": "n"},
        "status": {"phase": "Running"},
        "spec": {"nodeName": "n1"},
        "involvedObject": {"kind": "Pod"},
    }
    assert parse_field_selector("metadata.name=p,status.phase=Running")(obj)
    assert not parse_field_selector("spec.nodeName!=n1")(obj)
    assert parse_field_selector("involvedObject.kind==Pod")(obj)
    with pytest.raises(ApiError):
        parse_field_selector("bogus.field=1")


def test_label_selector_object():
    sel = {
        "matchLabels": {"app": "x"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "gone", "operator": "DoesNotExist"},
        ],
    }
    m = selector_from_label_selector(sel)
    assert m({"app": "x", "tier": "a"})
    assert not m({"app": "x", "tier": "c"})
    assert not m({"app": "x", "tier": "a", "gone": "1"})
    assert label_selector_string(sel) == "app=x,tier in (a,b),!gone"


def test_merge_patch_rfc7386():
    assert merge_patch(
        {"a": {"b": 1, "c": 2}, "l": [1, 2]}, {"a": {"b": None, "d": 3}, "l": [3]}
    ) == {"a": {"c": 2, "d": 3}, "l": [3]}


def test_json_patch_ops():
    doc = {"a": [1, 2], "b": {"c": 1}}
    out = json_patch(
        doc,
        [
            {"op": "add", "path": "/a/1", "value": 9},
            {"op": "remove", "path": "/b/c"},
            {"op": "copy", "from": "/a/0", "path": "/b/x"},
            {"op": "move", "from": "/b/x", "path": "/y"},
            {"op": "replace", "path": "/a/0", "value": 0},
            {"op": "test", "path": "/y", "value": 1},
        ],
    )
    assert out == {"a": [0, 9, 2], "b": {}, "y": 1}
    assert doc == {"a": [1, 2], "b": {"c": 1}}  # input untouched
    with pytest.raises(ApiError) as exc:
        json_patch(doc, [{"op": "test", "path": "/a/0", "value": 5}])
    assert exc.value.code == 422


def test_strategic_merge_uses_schema_merge_keys():
    live = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}
            }
        }
    }
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
                    "containers": [{"name": "b", "image": "3"}, {"name": "c", "image": "4"}],
                }
            }
        }
    }
    out = strategic_merge(live, patch, deploy_cursor())
    assert out["spec"]["template"]["spec"]["containers"] == [
        {"name": "a", "image": "1"},
        {"name": "b", "image": "3"},
        {"name": "c", "image": "4"},
    ]
    out = strategic_merge(
        out,
        {"spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}}},
        deploy_cursor(),
    )
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["b", "c"]
    # finalizers: merge strategy on a primitive list, with deletion directive
    md = strategic_merge(
        {"metadata": {"finalizers": ["x"]}}, {"metadata": {"finalizers": ["y"]}}, deploy_cursor()
    )
    assert md["metadata"]["finalizers"] == ["x", "y"]
    md = strategic_merge(
        md, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}, deploy_cursor()
    )
    assert md["metadata"]["finalizers"] == ["y"]
    # a list without a merge strategy (args) is replaced
    live = {"spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["1", "2"]}]}}}}
    out = strategic_merge(
        live,
        {"spec": {"template": {"spec": {"containers": [{"name": "a", "args": ["3"]}]}}}},
        deploy_cursor(),
    )
    assert out["spec"]["template"]["spec"]["containers"][0]["args"] == ["3"]


def test_fieldset_roundtrip_and_list_keys():
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "labels": {"a": "1"}},
        "spec": {
            "replicas": 2,
            "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}},
        },
    }
    fs = fieldset(obj, deploy_cursor())
    assert ("f:metadata", "f:labels", "f:a") in fs
    assert ("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"c"}', ".") in fs
    assert ("f:metadata", "f:name") not in fs
    assert decode(encode(fs)) == fs


def test_ssa_owner_removal_and_conflicts():
    cur = deploy_cursor()
    cfg = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "labels": {"a": "1", "b": "2"}},
        "spec": {"replicas": 2},
    }
    live = apply(None, cfg, "m1", False, cur, "apps/v1")
    cfg2 = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "labels": {"a": "1"}},
        "spec": {"replicas": 2},
    }
    live = apply(live, cfg2, "m1", False, cur, "apps/v1")
    assert live["metadata"]["labels"] == {"a": "1"}
    # another manager applying the same value shares ownership: no conflict
    same = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": 2},
    }
    live = apply(live, same, "m2", False, cur, "apps/v1")
    with pytest.raises(ApiError) as exc:
        apply(
            live,
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "x"},
                "spec": {"replicas": 5},
            },
            "m3",
            False,
            cur,
            "apps/v1",
        )
    assert (
        exc.value.code == 409
        and 'conflict with "m1"' in exc.value.message
        and ".spec.replicas" in exc.value.message
    )
    forced = apply(
        live,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x"},
            "spec": {"replicas": 5},
        },
        "m3",
        True,
        cur,
        "apps/v1",
    )
    assert forced["spec"]["replicas"] == 5
    owners = {e["manager"]: decode(e["fieldsV1"]) for e in forced["metadata"]["managedFields"]}
    assert ("f:spec", "f:replicas") in owners["m3"]
    assert ("f:spec", "f:replicas") not in owners.get("m1", set())
    # m1 lost replicas to the forced apply, so dropping it from m1's config must not remove it
    after = apply(
        forced,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x", "labels": {"a": "1"}},
        },
        "m1",
        False,
        cur,
        "apps/v1",
    )
    assert after["spec"]["replicas"] == 5


def test_record_update_takes_ownership():
    cur = deploy_cursor()
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "labels": {"a": "1"}},
        "spec": {"replicas": 1},
    }
    obj = apply(None, obj, "applier", False, cur, "apps/v1")
    new = {**obj, "spec": {"replicas": 3}, "metadata": dict(obj["metadata"])}
    record_update(obj, new, "kubectl-scale", cur, "apps/v1")
    owners = {
        e["manager"]: (e["operation"], decode(e["fieldsV1"]))
        for e in new["metadata"]["managedFields"]
    }
    assert owners["kubectl-scale"] == ("Update", {("f:spec", "f:replicas")})
    assert ("f:spec", "f:replicas") not in owners["applier"][1]
