"""The same conformance scenarios through the official Python client (the code path
K2Cloud's cluster gateway uses)."""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes import client, watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

from .conftest import deployment_manifest, wait_for


def _available(apps: client.AppsV1Api, ns: str, name: str, n: int) -> bool:
    d = apps.read_namespaced_deployment(name, ns)
    st = d.status
    conds = {c.type: c for c in st.conditions or []}
    return (
        st.observed_generation == d.metadata.generation
        and st.updated_replicas == n
        and st.available_replicas == n
        and (st.replicas or 0) == n
        and conds.get("Progressing") is not None
        and conds["Progressing"].reason == "NewReplicaSetAvailable"
    )


def test_deployment_rolls_out(apps, core, ns):
    apps.create_namespaced_deployment(ns, deployment_manifest("web", replicas=3))
    wait_for(lambda: _available(apps, ns, "web", 3))
    pods = core.list_namespaced_pod(ns, label_selector="app=web").items
    assert len(pods) == 3
    assert all(p.status.phase == "Running" and p.status.pod_ip for p in pods)
    assert len({p.status.pod_ip for p in pods}) == 3
    hashes = {p.metadata.labels["pod-template-hash"] for p in pods}
    assert len(hashes) == 1
    ref = pods[0].metadata.owner_references[0]
    assert ref.kind == "ReplicaSet" and ref.controller is True
    apps.patch_namespaced_deployment(
        "web",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:2"}]}}}},
    )
    wait_for(
        lambda: (
            _available(apps, ns, "web", 3)
            and all(
                p.spec.containers[0].image == "nginx:2"
                for p in core.list_namespaced_pod(ns, label_selector="app=web").items
            )
        )
    )
    d = apps.read_namespaced_deployment("web", ns)
    assert d.metadata.generation == 2
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "2"


def test_list_selectors_and_paging(core, ns):
    for i in range(7):
        core.create_namespaced_config_map(
            ns,
            {
                "metadata": {
                    "name": f"cm-{i}",
                    "labels": {"i": str(i), "even": str(i % 2 == 0).lower()},
                }
            },
        )
    got = core.list_namespaced_config_map(ns, label_selector="even=true,i notin (0,2)").items
    assert sorted(c.metadata.name for c in got) == ["cm-4", "cm-6"]
    got = core.list_namespaced_config_map(ns, field_selector="metadata.name=cm-3").items
    assert [c.metadata.name for c in got] == ["cm-3"]
    got = core.list_namespaced_config_map(
        ns, field_selector="metadata.name!=cm-3", label_selector="i"
    ).items
    assert len(got) == 6
    page1 = core.list_namespaced_config_map(ns, limit=3, label_selector="i")
    assert len(page1.items) == 3 and page1.metadata._continue
    assert page1.metadata.remaining_item_count == 4
    page2 = core.list_namespaced_config_map(
        ns, limit=3, label_selector="i", _continue=page1.metadata._continue
    )
    page3 = core.list_namespaced_config_map(
        ns, limit=3, label_selector="i", _continue=page2.metadata._continue
    )
    names = [c.metadata.name for c in page1.items + page2.items + page3.items]
    assert names == [f"cm-{i}" for i in range(7)] and not page3.metadata._continue
    across = core.list_config_map_for_all_namespaces(label_selector="even=false").items
    assert {c.metadata.name for c in across if c.metadata.namespace == ns} == {
        "cm-1",
        "cm-3",
        "cm-5",
    }


def test_scale_subresource(apps, core, ns):
    apps.create_namespaced_deployment(ns, deployment_manifest("s", replicas=1))
    sc = apps.read_namespaced_deployment_scale("s", ns)
    assert sc.spec.replicas == 1 and sc.status.selector == "app=s"
    apps.patch_namespaced_deployment_scale("s", ns, {"spec": {"replicas": 3}})
    wait_for(lambda: _available(apps, ns, "s", 3))
    assert len(core.list_namespaced_pod(ns, label_selector="app=s").items) == 3


def test_patch_types(apps, api_client, ns):
    apps.create_namespaced_deployment(ns, deployment_manifest("p", replicas=1))
    body = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "main", "env": [{"name": "X", "value": "1"}]}]}
            }
        }
    }
    apps.patch_namespaced_deployment("p", ns, body)  # strategic by default
    c = apps.read_namespaced_deployment("p", ns).spec.template.spec.containers
    assert c[0].image == "nginx:1.27" and c[0].env[0].value == "1"
    # merge patch replaces the whole containers list (the classic difference)
    apps.patch_namespaced_deployment(
        "p",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}},
        _content_type="application/merge-patch+json",
    )
    c = apps.read_namespaced_deployment("p", ns).spec.template.spec.containers
    assert [x.name for x in c] == ["side"]
    apps.patch_namespaced_deployment(
        "p", ns, [{"op": "add", "path": "/metadata/labels/jp", "value": "yes"}]
    )
    assert apps.read_namespaced_deployment("p", ns).metadata.labels["jp"] == "yes"
    # strategic $patch: delete removes a list element by merge key
    apps.patch_namespaced_deployment(
        "p",
        ns,
        {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "main", "image": "a"},
                            {"name": "side", "$patch": "delete"},
                        ]
                    }
                }
            }
        },
    )
    c = apps.read_namespaced_deployment("p", ns).spec.template.spec.containers
    assert [x.name for x in c] == ["main"]


def _ssa(core, ns: str, body: dict, manager: str, force: bool = False) -> dict:
    out = core.patch_namespaced_config_map(
        body["metadata"]["name"],
        ns,
        body,
        field_manager=manager,
        force=force or None,
        _content_type="application/apply-patch+yaml",
    )
    return core.api_client.sanitize_for_serialization(out)


def test_server_side_apply(api_client, core, ns):
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "labels": {"a": "1", "b": "2"}},
        "data": {"x": "1", "y": "2"},
    }
    _ssa(core, ns, body, "mgr-a")
    body["metadata"]["labels"] = {"a": "1"}
    body["data"] = {"x": "1"}
    out = _ssa(core, ns, body, "mgr-a")
    assert out["data"] == {"x": "1"} and out["metadata"]["labels"] == {"a": "1"}
    # fields set by someone else (Update) are kept when mgr-a stops applying its own
    core.patch_namespaced_config_map("cfg", ns, {"data": {"z": "3"}})
    out = _ssa(core, ns, body, "mgr-a")
    assert out["data"] == {"x": "1", "z": "3"}
    # re-applying the same configuration is a no-op: no new resourceVersion
    again = _ssa(core, ns, body, "mgr-a")
    assert again["metadata"]["resourceVersion"] == out["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as exc:
        _ssa(
            core,
            ns,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "cfg"},
                "data": {"x": "other"},
            },
            "mgr-b",
        )
    assert exc.value.status == 409
    status = json.loads(exc.value.body)
    assert status["reason"] == "Conflict" and 'conflict with "mgr-a"' in status["message"]
    out = _ssa(
        core,
        ns,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg"},
            "data": {"x": "other"},
        },
        "mgr-b",
        force=True,
    )
    assert out["data"]["x"] == "other"
    owners = {m["manager"]: m for m in out["metadata"]["managedFields"]}
    assert "f:x" in owners["mgr-b"]["fieldsV1"]["f:data"]
    assert "f:x" not in owners["mgr-a"]["fieldsV1"].get("f:data", {})


def test_stale_update_conflict(core, ns):
    cm = core.create_namespaced_config_map(ns, {"metadata": {"name": "c"}, "data": {"v": "1"}})
    core.patch_namespaced_config_map("c", ns, {"data": {"v": "2"}})
    cm.data = {"v": "3"}
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map("c", ns, cm)
    assert exc.value.status == 409
    body = json.loads(exc.value.body)
    assert body["kind"] == "Status" and body["reason"] == "Conflict"
    fresh = core.read_namespaced_config_map("c", ns)
    fresh.data = {"v": "3"}
    assert core.replace_namespaced_config_map("c", ns, fresh).data == {"v": "3"}
    assert int(fresh.metadata.resource_version) < int(
        core.read_namespaced_config_map("c", ns).metadata.resource_version
    )


def test_invalid_and_duplicate(core, ns):
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "Not_Valid"}})
    assert exc.value.status == 422
    st = json.loads(exc.value.body)
    assert st["reason"] == "Invalid" and st["details"]["causes"][0]["field"] == "metadata.name"
    core.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}})
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "dup"}})
    assert exc.value.status == 409 and json.loads(exc.value.body)["reason"] == "AlreadyExists"
    dumped = core.read_namespaced_config_map("dup", ns)
    dumped.metadata.name = "restored"
    with pytest.raises(ApiException) as exc:  # a dump must be stripped before re-creating
        core.create_namespaced_config_map(ns, dumped)
    assert exc.value.status == 500 and "resourceVersion should not be set" in exc.value.body
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("nope", ns)
    assert exc.value.status == 404 and json.loads(exc.value.body)["details"]["name"] == "nope"


def test_quota_rejection(core, ns):
    core.create_namespaced_resource_quota(
        ns, {"metadata": {"name": "q"}, "spec": {"hard": {"requests.memory": "100Mi", "pods": "5"}}}
    )
    pod = {
        "metadata": {"name": "big"},
        "spec": {
            "containers": [
                {"name": "c", "image": "x", "resources": {"requests": {"memory": "200Mi"}}}
            ]
        },
    }
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_pod(ns, pod)
    assert exc.value.status == 403
    assert (
        "exceeded quota: q, requested: requests.memory=200Mi, used: requests.memory=0, limited: requests.memory=100Mi"
        in exc.value.body
    )
    pod["spec"]["containers"][0]["resources"]["requests"]["memory"] = "60Mi"
    core.create_namespaced_pod(ns, pod)
    q = wait_for(
        lambda: (
            (core.read_namespaced_resource_quota("q", ns).status.used or {}).get("requests.memory")
            == "60Mi"
        )
    )
    assert q
    pod["metadata"]["name"] = "second"
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_pod(ns, pod)
    assert exc.value.status == 403 and "used: requests.memory=60Mi" in exc.value.body


def test_delete_cascades(apps, core, ns):
    apps.create_namespaced_deployment(ns, deployment_manifest("bg", replicas=2))
    wait_for(lambda: _available(apps, ns, "bg", 2))
    apps.delete_namespaced_deployment("bg", ns, propagation_policy="Background")
    wait_for(lambda: not core.list_namespaced_pod(ns, label_selector="app=bg").items)
    apps.create_namespaced_deployment(ns, deployment_manifest("orph", replicas=2))
    wait_for(lambda: _available(apps, ns, "orph", 2))
    apps.delete_namespaced_deployment("orph", ns, propagation_policy="Orphan")
    wait_for(lambda: not apps.list_namespaced_deployment(ns).items)
    rs = apps.list_namespaced_replica_set(ns, label_selector="app=orph").items
    assert len(rs) == 1 and not rs[0].metadata.owner_references
    assert len(core.list_namespaced_pod(ns, label_selector="app=orph").items) == 2
    # finalizers hold an object with a deletionTimestamp until removed
    core.create_namespaced_config_map(
        ns, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}
    )
    core.delete_namespaced_config_map("held", ns)
    held = core.read_namespaced_config_map("held", ns)
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_config_map("held", ns)
    assert exc.value.status == 404


def test_namespace_deletion(core, apps):
    core.create_namespace({"metadata": {"name": "ns-del"}})
    apps.create_namespaced_deployment("ns-del", deployment_manifest("w", replicas=2))
    core.create_namespaced_config_map("ns-del", {"metadata": {"name": "c"}})
    # A finalizer holds the namespace in Terminating until the test lets go, so the
    # checks below do not race the namespace controller on a loaded machine.
    core.create_namespaced_config_map(
        "ns-del", {"metadata": {"name": "held", "finalizers": ["k2cloud.io/test"]}}
    )
    wait_for(lambda: _available(apps, "ns-del", "w", 2))
    core.delete_namespace("ns-del")
    phase = core.read_namespace("ns-del").status.phase
    assert phase == "Terminating"
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("ns-del", {"metadata": {"name": "late"}})
    assert exc.value.status == 403
    core.patch_namespaced_config_map("held", "ns-del", {"metadata": {"finalizers": None}})

    def gone() -> bool:
        try:
            core.read_namespace("ns-del")
        except ApiException as e:
            return e.status == 404
        return False

    wait_for(gone)
    assert core.list_namespaced_config_map("ns-del").items == []


def test_logs_follow(apps, core, ns):
    apps.create_namespaced_deployment(ns, deployment_manifest("lg", replicas=1))
    wait_for(lambda: _available(apps, ns, "lg", 1))
    pod = core.list_namespaced_pod(ns, label_selector="app=lg").items[0].metadata.name
    text = core.read_namespaced_pod_log(pod, ns, tail_lines=2, timestamps=True)
    lines = text.strip().splitlines()
    assert len(lines) == 2 and lines[0].split()[0].endswith("Z")
    resp = core.read_namespaced_pod_log(pod, ns, follow=True, tail_lines=1, _preload_content=False)
    got = []
    for chunk in resp.stream(amt=None):
        got.extend(x for x in chunk.decode().splitlines() if x)
        if len(got) >= 3:
            break
    resp.release_conn()
    ids = [int(x.split("id=")[1].split()[0]) for x in got[:3]]
    assert ids[1] == ids[0] + 1 and ids[2] == ids[1] + 1
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod_log(pod, ns, container="nope")
    assert exc.value.status == 400


def test_exec_stream(apps, core, ns):
    apps.create_namespaced_deployment(ns, deployment_manifest("ex", replicas=1))
    wait_for(lambda: _available(apps, ns, "ex", 1))
    pod = core.list_namespaced_pod(ns, label_selector="app=ex").items[0].metadata.name
    out = stream(
        core.connect_get_namespaced_pod_exec,
        pod,
        ns,
        command=["sh", "-c", "echo $((6*7))"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert out.strip() == "42"
    ws = stream(
        core.connect_get_namespaced_pod_exec,
        pod,
        ns,
        command=["/bin/sh"],
        stderr=True,
        stdin=True,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    ws.write_stdin("pwd; echo hi >&2; exit 5\n")
    ws.run_forever(timeout=10)
    assert ws.returncode == 5
    assert ws.read_stderr().strip() == "hi"
    assert ws.read_stdout().strip().endswith(f"sandbox/{ns}/{pod}/main")


def test_exec_tty_shell(apps, core, ns):
    apps.create_namespaced_deployment(ns, deployment_manifest("tty", replicas=1))
    wait_for(lambda: _available(apps, ns, "tty", 1))
    pod = core.list_namespaced_pod(ns, label_selector="app=tty").items[0].metadata.name
    ws = stream(
        core.connect_get_namespaced_pod_exec,
        pod,
        ns,
        command=["/bin/sh"],
        stderr=True,
        stdin=True,
        stdout=True,
        tty=True,
        _preload_content=False,
    )
    ws.write_channel(4, json.dumps({"Width": 123, "Height": 45}))
    ws.write_stdin("stty size; tty; echo $((6*7)); exit 7\n")
    ws.run_forever(timeout=10)
    out = ws.read_stdout()
    assert "45 123" in out and "/dev/pts/" in out and "42" in out
    assert ws.returncode == 7


def test_watch_events(core, ns):
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(
        ns, {"metadata": {"name": "w", "labels": {"k": "v"}}, "data": {"n": "1"}}
    )
    core.patch_namespaced_config_map("w", ns, {"data": {"n": "2"}})
    core.delete_namespaced_config_map("w", ns)
    w = watch.Watch()
    seen = []
    for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=5):
        seen.append((ev["type"], ev["object"].metadata.name))
        if len(seen) == 3:
            w.stop()
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_custom_resources(api_client, sim):
    prod = sim["prod"].api_client()
    ext = client.ApiextensionsV1Api(prod)
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {
                "plural": "widgets",
                "singular": "widget",
                "kind": "Widget",
                "shortNames": ["wd"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "required": ["size"],
                                    "properties": {"size": {"type": "integer", "minimum": 1}},
                                },
                                "status": {
                                    "type": "object",
                                    "properties": {"ok": {"type": "boolean"}},
                                },
                            },
                        }
                    },
                }
            ],
        },
    }
    ext.create_custom_resource_definition(crd)
    co = client.CustomObjectsApi(prod)
    obj = co.create_namespaced_custom_object(
        "example.com",
        "v1",
        "default",
        "widgets",
        {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w1"},
            "spec": {"size": 2},
        },
    )
    assert obj["metadata"]["generation"] == 1
    with pytest.raises(ApiException) as exc:
        co.create_namespaced_custom_object(
            "example.com",
            "v1",
            "default",
            "widgets",
            {
                "apiVersion": "example.com/v1",
                "kind": "Widget",
                "metadata": {"name": "w2"},
                "spec": {"size": 0},
            },
        )
    assert exc.value.status == 422 and "spec.size" in exc.value.body
    co.patch_namespaced_custom_object_status(
        "example.com", "v1", "default", "widgets", "w1", {"status": {"ok": True}}
    )
    got = co.get_namespaced_custom_object("example.com", "v1", "default", "widgets", "w1")
    assert got["status"] == {"ok": True} and got["metadata"]["generation"] == 1
    co.patch_namespaced_custom_object(
        "example.com", "v1", "default", "widgets", "w1", {"spec": {"size": 3}}
    )
    assert (
        co.get_namespaced_custom_object("example.com", "v1", "default", "widgets", "w1")[
            "metadata"
        ]["generation"]
        == 2
    )
    pools = co.list_cluster_custom_object("crd.projectcalico.org", "v1", "ippools")["items"]
    assert [p["metadata"]["name"] for p in pools] == ["default-ipv4-ippool"]
    ext.delete_custom_resource_definition("widgets.example.com")
    with pytest.raises(ApiException) as exc:
        co.list_namespaced_custom_object("example.com", "v1", "default", "widgets")
    assert exc.value.status == 404


def test_calico_crds_then_ippool_client(tmp_path):
    from pathlib import Path

    from k2sim.testing import running_clusters

    calico = Path(__file__).resolve().parents[2] / "contracts" / "calico"
    with running_clusters(("fresh",), state_dir=tmp_path, install_calico=False) as sim:
        api = sim["fresh"].api_client()
        ext = client.ApiextensionsV1Api(api)
        co = client.CustomObjectsApi(api)
        with pytest.raises(ApiException) as exc:
            co.list_cluster_custom_object("crd.projectcalico.org", "v1", "ippools")
        assert exc.value.status == 404
        for f in sorted(calico.glob("*.yaml")):
            ext.create_custom_resource_definition(yaml.safe_load(f.read_text()))
        names = {c.metadata.name for c in ext.list_custom_resource_definition().items}
        assert "ippools.crd.projectcalico.org" in names and len(names) == 5
        pool = {
            "apiVersion": "crd.projectcalico.org/v1",
            "kind": "IPPool",
            "metadata": {"name": "pool-b"},
            "spec": {"cidr": "10.99.0.0/16", "blockSize": 26, "natOutgoing": True},
        }
        co.create_cluster_custom_object("crd.projectcalico.org", "v1", "ippools", pool)
        got = co.get_cluster_custom_object("crd.projectcalico.org", "v1", "ippools", "pool-b")
        assert got["spec"]["cidr"] == "10.99.0.0/16" and got["metadata"]["uid"]
        pool["metadata"]["name"] = "pool-c"
        pool["spec"]["blockSize"] = 200
        with pytest.raises(ApiException) as exc:
            co.create_cluster_custom_object("crd.projectcalico.org", "v1", "ippools", pool)
        assert exc.value.status == 422 and "spec.blockSize" in exc.value.body


def test_immutable_fields(apps, core, ns):
    apps.create_namespaced_deployment(ns, deployment_manifest("imm", replicas=1))
    with pytest.raises(ApiException) as exc:
        apps.patch_namespaced_deployment(
            "imm", ns, {"spec": {"selector": {"matchLabels": {"app": "other"}}}}
        )
    assert (
        exc.value.status == 422
        and "spec.selector" in exc.value.body
        and "field is immutable" in exc.value.body
    )
    core.create_namespaced_pod(
        ns, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "a:1"}]}}
    )
    core.patch_namespaced_pod(
        "p", ns, {"spec": {"containers": [{"name": "c", "image": "a:2"}]}}
    )  # allowed
    assert core.read_namespaced_pod("p", ns).spec.containers[0].image == "a:2"
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_pod("p", ns, {"spec": {"containers": [{"name": "c", "args": ["x"]}]}})
    assert exc.value.status == 422 and "pod updates may not change fields" in exc.value.body
    core.create_namespaced_config_map(
        ns, {"metadata": {"name": "frozen"}, "data": {"a": "1"}, "immutable": True}
    )
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_config_map("frozen", ns, {"data": {"a": "2"}})
    assert exc.value.status == 422
    svc = core.create_namespaced_service(
        ns, {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}
    )
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_service("s", ns, {"spec": {"clusterIP": "10.96.99.99"}})
    assert exc.value.status == 422 and svc.spec.cluster_ip != "10.96.99.99"
