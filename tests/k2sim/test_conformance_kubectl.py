"""The issue's conformance scenarios driven through the real kubectl binary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from .conftest import KUBECTL, deployment_manifest, wait_for

CALICO = Path(__file__).resolve().parents[2] / "contracts" / "calico"


def _apply(kubectl, ns: str, obj: dict, *extra: str):
    return kubectl("apply", "-n", ns, *extra, "-f", "-", input=yaml.safe_dump(obj))


def test_apply_and_rollout_status(kubectl, ns, apps):
    out = _apply(kubectl, ns, deployment_manifest("web", replicas=3)).stdout
    assert "deployment.apps/web created" in out
    r = kubectl("rollout", "status", "-n", ns, "deploy/web", "--timeout=30s")
    assert 'deployment "web" successfully rolled out' in r.stdout
    d = apps.read_namespaced_deployment("web", ns)
    assert d.status.ready_replicas == 3 and d.status.observed_generation == d.metadata.generation
    # A template change rolls out through a second ReplicaSet.
    kubectl("set", "image", "-n", ns, "deploy/web", "main=nginx:1.28")
    kubectl("rollout", "status", "-n", ns, "deploy/web", "--timeout=30s")
    rs = kubectl("get", "rs", "-n", ns, "-o", "json").stdout
    sets = {
        i["spec"]["template"]["spec"]["containers"][0]["image"]: i["spec"]["replicas"]
        for i in json.loads(rs)["items"]
    }
    assert sets == {"nginx:1.27": 0, "nginx:1.28": 3}
    table = kubectl("get", "deploy", "-n", ns).stdout
    assert "web" in table and "3/3" in table


def test_get_with_label_selectors(kubectl, ns, core):
    for name, labels in (
        ("a", {"tier": "web", "env": "prod"}),
        ("b", {"tier": "db"}),
        ("c", {"tier": "cache", "env": "test"}),
    ):
        core.create_namespaced_config_map(
            ns, {"metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}
        )

    def names(sel: str) -> list[str]:
        out = kubectl("get", "cm", "-n", ns, "-l", sel, "-o", "name").stdout.split()
        return sorted(n.split("/")[-1] for n in out)

    assert names("tier=web") == ["a"]
    assert names("tier!=web") == ["b", "c"]
    assert names("tier in (web,db)") == ["a", "b"]
    assert names("tier notin (web,db)") == ["c"]
    assert names("env") == ["a", "c"]
    assert names("!env") == ["b"]
    assert names("env=prod,tier==web") == ["a"]
    bad = kubectl("get", "cm", "-n", ns, "-l", "tier in (web", check=False)
    assert bad.returncode != 0


def test_scale(kubectl, ns, core):
    _apply(kubectl, ns, deployment_manifest("api", replicas=1))
    kubectl("scale", "-n", ns, "deploy/api", "--replicas=4")
    kubectl("rollout", "status", "-n", ns, "deploy/api", "--timeout=30s")
    wait_for(lambda: len(core.list_namespaced_pod(ns, label_selector="app=api").items) == 4)
    kubectl("scale", "-n", ns, "deploy/api", "--replicas=2")
    wait_for(lambda: len(core.list_namespaced_pod(ns, label_selector="app=api").items) == 2)


def test_patch_merge_strategic_json(kubectl, ns, apps):
    _apply(kubectl, ns, deployment_manifest("p", replicas=1))
    # strategic: containers merge by name, so the image survives an env addition
    kubectl(
        "patch",
        "-n",
        ns,
        "deploy/p",
        "--type=strategic",
        "-p",
        json.dumps(
            {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [{"name": "main", "env": [{"name": "A", "value": "1"}]}]
                        }
                    }
                }
            }
        ),
    )
    c = apps.read_namespaced_deployment("p", ns).spec.template.spec.containers
    assert len(c) == 1 and c[0].image == "nginx:1.27" and c[0].env[0].name == "A"
    # merge: labels map merges, null deletes
    kubectl(
        "patch",
        "-n",
        ns,
        "deploy/p",
        "--type=merge",
        "-p",
        '{"metadata":{"labels":{"x":"1","app":null}}}',
    )
    labels = apps.read_namespaced_deployment("p", ns).metadata.labels
    assert labels == {"x": "1"}
    # json patch
    kubectl(
        "patch",
        "-n",
        ns,
        "deploy/p",
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/replicas","value":2}]',
    )
    assert apps.read_namespaced_deployment("p", ns).spec.replicas == 2
    bad = kubectl(
        "patch",
        "-n",
        ns,
        "deploy/p",
        "--type=json",
        "-p",
        '[{"op":"test","path":"/spec/replicas","value":9}]',
        check=False,
    )
    assert bad.returncode != 0


def test_server_side_apply_drops_field_and_conflicts(kubectl, ns, core):
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ssa"},
        "data": {"a": "1", "b": "2"},
    }
    _apply(kubectl, ns, cm, "--server-side", "--field-manager=alice")
    cm["data"] = {"a": "1"}
    _apply(kubectl, ns, cm, "--server-side", "--field-manager=alice")
    assert core.read_namespaced_config_map("ssa", ns).data == {"a": "1"}
    other = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ssa"},
        "data": {"a": "changed"},
    }
    r = kubectl(
        "apply",
        "-n",
        ns,
        "--server-side",
        "--field-manager=bob",
        "-f",
        "-",
        input=yaml.safe_dump(other),
        check=False,
    )
    assert r.returncode != 0 and "conflict" in r.stderr.lower() and "alice" in r.stderr
    kubectl(
        "apply",
        "-n",
        ns,
        "--server-side",
        "--field-manager=bob",
        "--force-conflicts",
        "-f",
        "-",
        input=yaml.safe_dump(other),
    )
    live = core.read_namespaced_config_map("ssa", ns)
    assert live.data == {"a": "changed"}
    managers = {m.manager: m.operation for m in live.metadata.managed_fields}
    assert managers.get("bob") == "Apply"


def test_conflict_on_stale_update(kubectl, ns, core):
    core.create_namespaced_config_map(ns, {"metadata": {"name": "stale"}, "data": {"v": "1"}})
    old = kubectl("get", "cm", "stale", "-n", ns, "-o", "json").stdout
    core.patch_namespaced_config_map("stale", ns, {"data": {"v": "2"}})
    r = kubectl("replace", "-n", ns, "-f", "-", input=old, check=False)
    assert r.returncode != 0
    assert "the object has been modified" in r.stderr and "Conflict" not in r.stdout


def test_invalid_name_is_422(kubectl, ns):
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}, "data": {}}
    r = kubectl("create", "-n", ns, "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert r.returncode != 0
    assert 'ConfigMap "Bad_Name" is invalid' in r.stderr and "metadata.name" in r.stderr
    schema_bad = deployment_manifest("typed")
    schema_bad["spec"]["replicas"] = "three"
    r = kubectl("create", "-n", ns, "-f", "-", input=yaml.safe_dump(schema_bad), check=False)
    assert r.returncode != 0 and "spec.replicas" in r.stderr


def test_quota_rejection(kubectl, ns):
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q"},
        "spec": {"hard": {"pods": "1", "requests.cpu": "1"}},
    }
    _apply(kubectl, ns, quota)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p1"},
        "spec": {
            "containers": [
                {"name": "c", "image": "busybox", "resources": {"requests": {"cpu": "100m"}}}
            ]
        },
    }
    _apply(kubectl, ns, pod)
    pod["metadata"]["name"] = "p2"
    r = kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(pod), check=False)
    assert r.returncode != 0
    assert "exceeded quota: q" in r.stderr and "forbidden" in r.stderr
    used = wait_for(
        lambda: (
            json.loads(kubectl("get", "quota", "q", "-n", ns, "-o", "json").stdout)
            .get("status", {})
            .get("used", {})
            .get("pods")
            == "1"
        )
    )
    assert used


def test_delete_wait_cascades_to_pods(kubectl, ns, core):
    _apply(kubectl, ns, deployment_manifest("gone", replicas=3))
    kubectl("rollout", "status", "-n", ns, "deploy/gone", "--timeout=30s")
    assert len(core.list_namespaced_pod(ns, label_selector="app=gone").items) == 3
    r = kubectl("delete", "-n", ns, "deploy/gone", "--wait=true", "--cascade=foreground")
    assert 'deployment.apps "gone" deleted' in r.stdout
    # foreground: by the time the owner is gone, its pods are gone too
    assert core.list_namespaced_pod(ns, label_selector="app=gone").items == []
    assert kubectl("get", "rs", "-n", ns, "-o", "name").stdout.strip() == ""


def test_namespace_deletion(kubectl, core):
    kubectl(
        "create",
        "-f",
        "-",
        input=yaml.safe_dump(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}}
        ),
    )
    _apply(kubectl, "doomed", deployment_manifest("w", replicas=2))
    kubectl("rollout", "status", "-n", "doomed", "deploy/w", "--timeout=30s")
    r = kubectl("delete", "ns", "doomed", "--wait=true", "--timeout=30s")
    assert 'namespace "doomed" deleted' in r.stdout
    assert kubectl("get", "ns", "doomed", check=False).returncode != 0
    assert core.list_namespaced_pod("doomed").items == []


def test_logs_follow(kubectl, ns, cluster):
    _apply(kubectl, ns, deployment_manifest("logger", replicas=1))
    kubectl("rollout", "status", "-n", ns, "deploy/logger", "--timeout=30s")
    env = dict(
        os.environ,
        KUBECONFIG=str(cluster.kubeconfig_path),
        HOME=str(cluster.kubeconfig_path.parent),
    )
    proc = subprocess.Popen(
        [KUBECTL, "logs", "-f", "-n", ns, "deploy/logger", "--tail=1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(4)]  # type: ignore[union-attr]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    ids = [int(line.split("id=")[1].split()[0]) for line in lines]
    assert ids == sorted(ids) and ids[-1] - ids[0] == 3, lines


def test_exec_prints_42(kubectl, ns):
    _apply(kubectl, ns, deployment_manifest("sh", replicas=1))
    kubectl("rollout", "status", "-n", ns, "deploy/sh", "--timeout=30s")
    r = kubectl("exec", "-n", ns, "deploy/sh", "--", "sh", "-c", "echo $((6*7))")
    assert r.stdout.strip() == "42"
    r = kubectl("exec", "-n", ns, "deploy/sh", "--", "sh", "-c", "exit 3", check=False)
    assert r.returncode == 3
    r = kubectl(
        "exec",
        "-i",
        "-n",
        ns,
        "deploy/sh",
        "--",
        "sh",
        "-c",
        "read x; echo got-$x",
        input="hello\n",
    )
    assert r.stdout.strip() == "got-hello"
    r = kubectl("exec", "-n", ns, "deploy/sh", "--", "no-such-binary-k2sim", check=False)
    assert r.returncode != 0 and "executable file not found" in r.stderr


def test_watch_sees_added_modified_deleted(kubectl, ns, core, cluster):
    env = dict(
        os.environ,
        KUBECONFIG=str(cluster.kubeconfig_path),
        HOME=str(cluster.kubeconfig_path.parent),
    )
    proc = subprocess.Popen(
        [
            KUBECTL,
            "get",
            "cm",
            "-n",
            ns,
            "--watch-only",
            "--output-watch-events",
            "-o",
            "json",
            "--request-timeout=20s",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.8)
        core.create_namespaced_config_map(ns, {"metadata": {"name": "w"}, "data": {"v": "1"}})
        core.patch_namespaced_config_map("w", ns, {"data": {"v": "2"}})
        core.delete_namespaced_config_map("w", ns)
        buf = ""
        events = []
        deadline = time.monotonic() + 15
        while len(events) < 3 and time.monotonic() < deadline:
            buf += proc.stdout.readline()  # type: ignore[union-attr]
            try:
                events.append(json.loads(buf))
                buf = ""
            except ValueError:
                continue
    finally:
        proc.kill()
        proc.wait(10)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1]["object"]["data"] == {"v": "2"}


def test_calico_crds_then_ippool(kubectl, api_client):
    assert kubectl("get", "ippools", check=False).returncode != 0  # not installed on "test"
    r = kubectl("apply", "-f", str(CALICO))
    assert r.stdout.count("customresourcedefinition.apiextensions.k8s.io/") == 5
    crds = client.ApiextensionsV1Api(api_client).list_custom_resource_definition().items
    est = {
        c.metadata.name
        for c in crds
        if any(x.type == "Established" and x.status == "True" for x in c.status.conditions or [])
    }
    assert "ippools.crd.projectcalico.org" in est
    pool = {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "IPPool",
        "metadata": {"name": "extra-pool"},
        "spec": {
            "cidr": "10.250.0.0/16",
            "blockSize": 26,
            "natOutgoing": True,
            "nodeSelector": "all()",
        },
    }
    out = kubectl("apply", "-f", "-", input=yaml.safe_dump(pool)).stdout
    assert "ippool.crd.projectcalico.org/extra-pool created" in out
    got = json.loads(kubectl("get", "ippool", "extra-pool", "-o", "json").stdout)
    assert got["spec"]["cidr"] == "10.250.0.0/16"
    bad = dict(
        pool, metadata={"name": "bad-pool"}, spec={"cidr": "10.251.0.0/16", "blockSize": 500}
    )
    r = kubectl("apply", "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert r.returncode != 0 and "blockSize" in r.stderr


@pytest.mark.parametrize("verb", ["create", "delete"])
def test_readonly_token_cannot_write(sim, verb, ns):
    from .conftest import run_kubectl

    handle = sim["test"]
    ro = type(handle)(**{**handle.__dict__, "kubeconfig_path": handle.readonly_kubeconfig_path})
    assert run_kubectl(ro, "get", "ns", ns).returncode == 0
    args = ["create", "-n", ns, "-f", "-"] if verb == "create" else ["delete", "ns", ns]
    r = run_kubectl(
        ro,
        *args,
        input=yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
        check=False,
    )
    assert r.returncode != 0
    assert "forbidden" in r.stderr.lower() and "read-only" in r.stderr


def test_unknown_fields_strict_and_warn(kubectl, ns, core):
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "uf"},
        "data": {"a": "1"},
        "bogus": 1,
    }
    r = kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(cm), check=False)
    assert r.returncode != 0 and 'unknown field "bogus"' in r.stderr
    r = kubectl("apply", "-n", ns, "--validate=warn", "-f", "-", input=yaml.safe_dump(cm))
    assert 'unknown field "bogus"' in r.stderr
    raw = kubectl("get", "cm", "uf", "-n", ns, "-o", "json").stdout
    assert "bogus" not in json.loads(raw) and json.loads(raw)["data"] == {"a": "1"}


def test_typed_create_commands_protobuf(kubectl, core):
    kubectl("create", "namespace", "pb-ns")
    assert core.read_namespace("pb-ns").status.phase == "Active"
    kubectl(
        "create", "configmap", "cm", "-n", "pb-ns", "--from-literal=a=1", "--from-literal=b=two"
    )
    assert core.read_namespaced_config_map("cm", "pb-ns").data == {"a": "1", "b": "two"}
    kubectl("create", "secret", "generic", "s", "-n", "pb-ns", "--from-literal=pw=hunter2")
    sec = core.read_namespaced_secret("s", "pb-ns")
    assert sec.data == {"pw": "aHVudGVyMg=="} and sec.type == "Opaque"
    r = kubectl("create", "namespace", "Bad_NS", check=False)
    assert r.returncode != 0 and 'Namespace "Bad_NS" is invalid' in r.stderr
    kubectl(
        "create",
        "deployment",
        "d",
        "--image=nginx:1.2",
        "--port=8080",
        "--replicas=2",
        "-n",
        "pb-ns",
    )
    kubectl("rollout", "status", "deploy/d", "-n", "pb-ns", "--timeout=30s")
    dep = json.loads(kubectl("get", "deploy", "d", "-n", "pb-ns", "-o", "json").stdout)
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert (c["name"], c["image"], c["ports"]) == (
        "nginx",
        "nginx:1.2",
        [{"containerPort": 8080, "protocol": "TCP"}],
    )
    assert dep["spec"]["replicas"] == 2 and dep["spec"]["selector"] == {"matchLabels": {"app": "d"}}
    assert kubectl("auth", "can-i", "create", "pods").stdout.strip() == "yes"
    kubectl("create", "job", "j", "--image=busybox", "-n", "pb-ns", "--", "echo", "hi")
    kubectl("wait", "--for=condition=complete", "job/j", "-n", "pb-ns", "--timeout=30s")
    job = json.loads(kubectl("get", "job", "j", "-n", "pb-ns", "-o", "json").stdout)
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    r = kubectl("create", "role", "r", "--verb=get", "--resource=pods", "-n", "pb-ns", check=False)
    assert r.returncode != 0 and "decodes protobuf only for" in r.stderr
