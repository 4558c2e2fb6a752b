"""The simulated control plane and the machinery around it, through the official client."""

from __future__ import annotations

import json
import ssl
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from k2sim.testing import running_clusters

from .conftest import deployment_manifest, wait_for


def _pod(name: str, **extra) -> dict:
    spec = {
        "containers": [
            {
                "name": "c",
                "image": "app:1",
                "resources": extra.pop("resources", {"requests": {"cpu": "10m"}}),
            }
        ]
    }
    spec.update(extra.pop("spec", {}))
    return {"metadata": {"name": name, **extra}, "spec": spec}


def _events(core, ns: str, obj: str | None = None) -> list:
    sel = f"involvedObject.name={obj}" if obj else None
    return core.list_namespaced_event(ns, field_selector=sel).items


def test_watch_410_gone_when_history_is_exceeded(tmp_path):
    with running_clusters(
        ("small",), state_dir=tmp_path, cluster_options={"small": {"history": 30}}
    ) as sim:
        core = client.CoreV1Api(sim["small"].api_client())
        rv = core.list_namespaced_config_map("default").metadata.resource_version
        for i in range(40):
            core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
        with pytest.raises(ApiException) as exc:
            for _ in watch.Watch().stream(
                core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=2
            ):
                pass
        assert exc.value.status == 410
        # a recent version still resumes fine, and bookmarks arrive when asked for
        recent = core.list_namespaced_config_map("default").metadata.resource_version
        core.create_namespaced_config_map("default", {"metadata": {"name": "late"}})
        resp = core.list_namespaced_config_map(
            "default",
            watch=True,
            resource_version=recent,
            timeout_seconds=1,
            allow_watch_bookmarks=True,
            _preload_content=False,
        )
        lines = [json.loads(x) for x in resp.data.decode().splitlines() if x]
        assert lines[0]["type"] == "ADDED" and lines[0]["object"]["metadata"]["name"] == "late"


def test_watch_label_selector_and_many_watchers(core, ns):
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, {"metadata": {"name": "x", "labels": {"w": "1"}}})
    core.patch_namespaced_config_map("x", ns, {"metadata": {"labels": {"w": "2"}}})

    def one(_: int) -> list[str]:
        resp = core.list_namespaced_config_map(
            ns,
            watch=True,
            resource_version=rv,
            label_selector="w=1",
            timeout_seconds=1,
            _preload_content=False,
        )
        return [json.loads(x)["type"] for x in resp.data.decode().splitlines() if x]

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))
    # leaving the selector is reported as DELETED, like the watch cache does
    assert results == [["ADDED", "DELETED"]] * 20


def test_scheduler_failed_scheduling_and_events(core, ns):
    core.create_namespaced_pod(ns, _pod("huge", resources={"requests": {"cpu": "500"}}))
    ev = wait_for(lambda: [e for e in _events(core, ns, "huge") if e.reason == "FailedScheduling"])
    assert "Insufficient cpu" in ev[0].message and ev[0].type == "Warning"
    pod = core.read_namespaced_pod("huge", ns)
    assert pod.status.phase == "Pending" and pod.spec.node_name is None
    core.create_namespaced_pod(ns, _pod("ok"))
    wait_for(lambda: core.read_namespaced_pod("ok", ns).status.phase == "Running")
    reasons = wait_for(
        lambda: (
            {e.reason for e in _events(core, ns, "ok")}
            >= {"Scheduled", "Pulled", "Created", "Started"}
        )
    )
    assert reasons
    p = core.read_namespaced_pod("ok", ns)
    cs = p.status.container_statuses[0]
    assert cs.restart_count == 0 and cs.state.running is not None and p.status.host_ip
    ev2 = client.EventsV1Api(core.api_client).list_namespaced_event(ns).items
    assert any(e.reason == "Scheduled" and e.regarding.name == "ok" for e in ev2)


def test_event_dedup_counts(cluster, core, ns):
    c = cluster.cluster
    obj = core.api_client.sanitize_for_serialization(
        core.create_namespaced_config_map(ns, {"metadata": {"name": "o"}})
    )
    obj.update(kind="ConfigMap", apiVersion="v1")
    for _ in range(3):
        cluster.call(
            c.control.events.record,
            obj,
            "Warning",
            "BackOff",
            "Back-off restarting failed container",
        )
    cluster.call(c.control.events.record, obj, "Warning", "BackOff", "a different message")
    evs = [e for e in _events(core, ns, "o") if e.reason == "BackOff"]
    by_msg = {e.message: e for e in evs}
    assert len(evs) == 2
    first = by_msg["Back-off restarting failed container"]
    assert first.count == 3 and first.first_timestamp <= first.last_timestamp
    assert by_msg["a different message"].count == 1
    # the TTL sweep removes expired events from both API groups (negative TTL: all)
    assert cluster.call(c.control.events.sweep, -5) >= 2
    assert not [e for e in _events(core, ns, "o") if e.reason == "BackOff"]
    assert not client.EventsV1Api(core.api_client).list_namespaced_event(ns).items


def test_limitrange_defaults_and_quota_status(core, ns):
    core.create_namespaced_limit_range(
        ns,
        {
            "metadata": {"name": "lr"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "200m", "memory": "128Mi"},
                        "defaultRequest": {"cpu": "100m", "memory": "64Mi"},
                    }
                ]
            },
        },
    )
    core.create_namespaced_resource_quota(
        ns,
        {
            "metadata": {"name": "q"},
            "spec": {"hard": {"requests.cpu": "1", "limits.memory": "1Gi", "pods": "10"}},
        },
    )
    p = core.create_namespaced_pod(
        ns, {"metadata": {"name": "d"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    )
    r = p.spec.containers[0].resources
    assert r.requests == {"cpu": "100m", "memory": "64Mi"} and r.limits == {
        "cpu": "200m",
        "memory": "128Mi",
    }
    assert p.status.qos_class == "Burstable"
    used = wait_for(
        lambda: (
            (core.read_namespaced_resource_quota("q", ns).status.used or {}).get("pods") == "1"
            and core.read_namespaced_resource_quota("q", ns).status.used
        )
    )
    assert used == {"requests.cpu": "100m", "limits.memory": "128Mi", "pods": "1"}
    core.delete_namespaced_pod("d", ns, grace_period_seconds=0)
    wait_for(lambda: core.read_namespaced_resource_quota("q", ns).status.used.get("pods") == "0")


def test_service_cluster_ip_and_endpoints(core, apps, ns):
    svc = core.create_namespaced_service(
        ns,
        {
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        },
    )
    assert svc.spec.cluster_ip.startswith("10.96.") and svc.spec.type == "ClusterIP"
    apps.create_namespaced_deployment(ns, deployment_manifest("web", replicas=2))

    def ready_ips():
        ep = core.read_namespaced_endpoints("web", ns)
        return [a.ip for s in ep.subsets or [] for a in s.addresses or []]

    ips = wait_for(lambda: len(ready_ips()) == 2 and ready_ips())
    pods = {p.status.pod_ip for p in core.list_namespaced_pod(ns, label_selector="app=web").items}
    assert set(ips) == pods
    assert core.read_namespaced_endpoints("web", ns).subsets[0].ports[0].port == 8080
    net = client.NetworkingV1Api(core.api_client)
    rule = {
        "host": "web.local",
        "http": {
            "paths": [
                {
                    "path": "/",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                }
            ]
        },
    }
    net.create_namespaced_ingress(ns, {"metadata": {"name": "web"}, "spec": {"rules": [rule]}})
    lb = wait_for(lambda: net.read_namespaced_ingress("web", ns).status.load_balancer.ingress)
    assert lb[0].ip == "127.0.0.1"
    sl = (
        client.DiscoveryV1Api(core.api_client)
        .list_namespaced_endpoint_slice(ns, label_selector="kubernetes.io/service-name=web")
        .items
    )
    assert len(sl) == 1 and {e.addresses[0] for e in sl[0].endpoints} == pods


def test_ipam_blocks_handles_and_leaks(tmp_path):
    with running_clusters(
        ("leaky",), state_dir=tmp_path, pod_ready_delay=0, ip_leak_rate=1.0
    ) as sim:
        h = sim["leaky"]
        core = client.CoreV1Api(h.api_client())
        co = client.CustomObjectsApi(h.api_client())
        for i in range(4):
            core.create_namespaced_pod("default", _pod(f"p{i}"))
        wait_for(lambda: all(p.status.pod_ip for p in core.list_namespaced_pod("default").items))
        handles = co.list_cluster_custom_object("crd.projectcalico.org", "v1", "ipamhandles")[
            "items"
        ]
        assert len(handles) == 4
        blocks = co.list_cluster_custom_object("crd.projectcalico.org", "v1", "ipamblocks")["items"]
        allocated = sum(1 for b in blocks for a in b["spec"]["allocations"] if a is not None)
        assert allocated == 4 and all(
            b["spec"]["affinity"].startswith("host:leaky-node-") for b in blocks
        )
        attrs = [a for b in blocks for a in b["spec"]["attributes"]]
        assert {a["secondary"]["pod"] for a in attrs} == {"p0", "p1", "p2", "p3"}
        for i in range(4):
            core.delete_namespaced_pod(f"p{i}", "default", grace_period_seconds=0)
        wait_for(lambda: not core.list_namespaced_pod("default").items)
        left = co.list_cluster_custom_object("crd.projectcalico.org", "v1", "ipamhandles")["items"]
        assert len(left) == 4  # leak rate 1.0: every handle stays behind
        assert len(h.call(h.cluster.control.ipam.leaked_handles)) == 4
    with running_clusters(("tidy",), state_dir=tmp_path / "t", pod_ready_delay=0) as sim:
        h = sim["tidy"]
        core = client.CoreV1Api(h.api_client())
        co = client.CustomObjectsApi(h.api_client())
        core.create_namespaced_pod("default", _pod("q"))
        wait_for(lambda: core.read_namespaced_pod("q", "default").status.pod_ip)
        core.delete_namespaced_pod("q", "default")
        wait_for(
            lambda: (
                not co.list_cluster_custom_object("crd.projectcalico.org", "v1", "ipamhandles")[
                    "items"
                ]
            )
        )
        blocks = co.list_cluster_custom_object("crd.projectcalico.org", "v1", "ipamblocks")["items"]
        assert all(a is None for b in blocks for a in b["spec"]["allocations"])


def test_oom_scenario(core, ns):
    core.create_namespaced_pod(
        ns,
        _pod(
            "oom",
            annotations={"k2sim.io/oom-after-seconds": "0.3"},
            labels={"runtime": "java"},
            resources={"requests": {"memory": "64Mi"}, "limits": {"memory": "64Mi"}},
        ),
    )

    def restarted():
        p = core.read_namespaced_pod("oom", ns)
        cs = (p.status.container_statuses or [None])[0]
        return (
            cs is not None and cs.restart_count >= 1 and cs.last_state.terminated is not None and p
        )

    p = wait_for(restarted, timeout=10)
    term = p.status.container_statuses[0].last_state.terminated
    assert term.reason == "OOMKilled" and term.exit_code == 137
    reasons = wait_for(
        lambda: {e.reason for e in _events(core, ns, "oom")} >= {"OOMKilling", "BackOff"}
    )
    assert reasons
    prev = core.read_namespaced_pod_log("oom", ns, previous=True)
    assert "OutOfMemoryError" in prev


def test_job_cronjob_statefulset_daemonset(api_client, core, ns):
    batch = client.BatchV1Api(api_client)
    apps = client.AppsV1Api(api_client)
    batch.create_namespaced_job(
        ns,
        {
            "metadata": {"name": "once"},
            "spec": {
                "completions": 2,
                "parallelism": 1,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox"}],
                    }
                },
            },
        },
    )
    job = wait_for(
        lambda: (
            (batch.read_namespaced_job("once", ns).status.succeeded or 0) == 2
            and batch.read_namespaced_job("once", ns)
        ),
        timeout=15,
    )
    assert any(c.type == "Complete" and c.status == "True" for c in job.status.conditions)
    assert job.status.completion_time is not None
    batch.create_namespaced_cron_job(
        ns,
        {
            "metadata": {"name": "tick"},
            "spec": {
                "schedule": "@every 1s",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "restartPolicy": "OnFailure",
                                "containers": [{"name": "c", "image": "busybox"}],
                            }
                        }
                    }
                },
            },
        },
    )
    jobs = wait_for(
        lambda: [
            j
            for j in batch.list_namespaced_job(ns).items
            if j.metadata.owner_references and j.metadata.owner_references[0].name == "tick"
        ],
        timeout=10,
    )
    assert jobs[0].metadata.name.startswith("tick-")
    apps.create_namespaced_stateful_set(
        ns,
        {
            "metadata": {"name": "db"},
            "spec": {
                "replicas": 3,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "pg", "image": "postgres"}]},
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        },
    )
    wait_for(
        lambda: (apps.read_namespaced_stateful_set("db", ns).status.ready_replicas or 0) == 3,
        timeout=15,
    )
    names = sorted(
        p.metadata.name for p in core.list_namespaced_pod(ns, label_selector="app=db").items
    )
    assert names == ["db-0", "db-1", "db-2"]
    claims = sorted(c.metadata.name for c in core.list_namespaced_persistent_volume_claim(ns).items)
    assert claims == ["data-db-0", "data-db-1", "data-db-2"]
    wait_for(
        lambda: all(
            c.status.phase == "Bound"
            for c in core.list_namespaced_persistent_volume_claim(ns).items
        )
    )
    bound = core.read_namespaced_persistent_volume_claim("data-db-0", ns)
    assert bound.status.capacity == {"storage": "1Gi"}
    assert core.read_persistent_volume(bound.spec.volume_name).spec.claim_ref.name == "data-db-0"
    pod0 = core.read_namespaced_pod("db-0", ns)
    assert pod0.spec.volumes[0].persistent_volume_claim.claim_name == "data-db-0"
    apps.create_namespaced_daemon_set(
        ns,
        {
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [{"name": "a", "image": "agent"}]},
                },
            },
        },
    )
    ds = wait_for(
        lambda: (
            (apps.read_namespaced_daemon_set("agent", ns).status.number_ready or 0) == 3
            and apps.read_namespaced_daemon_set("agent", ns)
        )
    )
    assert ds.status.desired_number_scheduled == 3
    nodes = {
        p.spec.node_name for p in core.list_namespaced_pod(ns, label_selector="app=agent").items
    }
    assert len(nodes) == 3


def _get(url: str, token: str | None, ca: str) -> tuple[int, str]:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    ctx = ssl.create_default_context(cafile=ca)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_auth_metrics_and_discovery(cluster, core, ns):
    ca = str(cluster.ca_path)
    assert _get(cluster.url + "/api/v1/namespaces", None, ca)[0] == 401
    assert _get(cluster.url + "/version", None, ca)[0] == 200
    code, body = _get(cluster.url + "/api/v1/namespaces", cluster.readonly_token, ca)
    assert code == 200 and json.loads(body)["kind"] == "NamespaceList"
    ro = client.CoreV1Api(cluster.api_client(cluster.readonly_token))
    with pytest.raises(ApiException) as exc:
        ro.create_namespaced_config_map(ns, {"metadata": {"name": "nope"}})
    assert exc.value.status == 403
    core.create_namespaced_pod(
        ns, _pod("m", labels={"lang": "java"}, resources={"limits": {"memory": "256Mi"}})
    )
    core.create_namespaced_pod(ns, _pod("g", resources={"limits": {"memory": "256Mi"}}))
    wait_for(lambda: all(p.status.phase == "Running" for p in core.list_namespaced_pod(ns).items))
    code, text = _get(cluster.url + "/metrics", cluster.admin_token, ca)
    assert code == 200
    vals = {}
    for line in text.splitlines():
        if line.startswith("container_memory") and f'namespace="{ns}"' in line:
            name = line.split("{")[0]
            pod = line.split('pod="')[1].split('"')[0]
            vals[(name, pod)] = float(line.rsplit(" ", 1)[1])
    java_share = vals[("container_memory_cache", "m")] / vals[("container_memory_usage_bytes", "m")]
    other_share = (
        vals[("container_memory_cache", "g")] / vals[("container_memory_usage_bytes", "g")]
    )
    assert java_share > 0.5 > other_share
    assert (
        vals[("container_memory_working_set_bytes", "m")]
        > vals[("container_memory_usage_bytes", "m")] - vals[("container_memory_cache", "m")]
    )
    code, body = _get(
        cluster.url + f"/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods", cluster.admin_token, ca
    )
    items = json.loads(body)["items"]
    assert {i["metadata"]["name"] for i in items} == {"m", "g"} and items[0]["containers"][0][
        "usage"
    ]["memory"].endswith("Ki")
    apis = json.loads(_get(cluster.url + "/apis", cluster.admin_token, ca)[1])
    groups = {g["name"] for g in apis["groups"]}
    assert {
        "apps",
        "batch",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "autoscaling",
        "policy",
        "events.k8s.io",
        "coordination.k8s.io",
    } <= groups
    oa = json.loads(_get(cluster.url + "/openapi/v3", cluster.admin_token, ca)[1])
    assert "apis/apps/v1" in oa["paths"] and "?hash=" in oa["paths"]["api/v1"]["serverRelativeURL"]


def test_faults_latency_errors_refuse(tmp_path):
    with running_clusters(("flaky",), state_dir=tmp_path) as sim:
        h = sim["flaky"]
        core = client.CoreV1Api(h.api_client())
        h.set_faults(latency_ms=300)
        t = time.monotonic()
        core.list_namespace()
        assert time.monotonic() - t >= 0.3
        h.set_faults(error_rate=1.0)
        with pytest.raises(ApiException) as exc:
            core.list_namespace()
        assert exc.value.status in (429, 500, 503)
        h.set_faults(refuse_connections=True)
        fresh = client.CoreV1Api(h.api_client())
        fresh.api_client.configuration.retries = 0
        with pytest.raises(Exception) as exc2:
            fresh.list_namespace(_request_timeout=3)
        assert "refused" in str(exc2.value).lower() or "connection" in str(exc2.value).lower()
        h.clear_faults()
        assert client.CoreV1Api(h.api_client()).list_namespace().items


def test_snapshot_survives_restart(tmp_path):
    with running_clusters(("keep",), state_dir=tmp_path, snapshot=True) as sim:
        core = client.CoreV1Api(sim["keep"].api_client())
        core.create_namespace({"metadata": {"name": "persisted"}})
        core.create_namespaced_config_map(
            "persisted", {"metadata": {"name": "c"}, "data": {"k": "v"}}
        )
        token = sim["keep"].admin_token
        rv = int(core.list_namespaced_config_map("persisted").metadata.resource_version)
    with running_clusters(("keep",), state_dir=tmp_path, snapshot=True) as sim:
        assert sim["keep"].admin_token == token
        core = client.CoreV1Api(sim["keep"].api_client())
        assert core.read_namespaced_config_map("c", "persisted").data == {"k": "v"}
        assert int(core.list_namespaced_config_map("persisted").metadata.resource_version) >= rv
        core.create_namespaced_config_map("persisted", {"metadata": {"name": "d"}})
        assert int(core.read_namespaced_config_map("d", "persisted").metadata.resource_version) > rv


def test_aggregated_discovery_and_delete_collection(cluster, core, ns):
    ca = str(cluster.ca_path)
    req = urllib.request.Request(cluster.url + "/apis")
    req.add_header("Authorization", f"Bearer {cluster.admin_token}")
    req.add_header(
        "Accept",
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
    )
    with urllib.request.urlopen(
        req, context=ssl.create_default_context(cafile=ca), timeout=10
    ) as r:
        assert "as=APIGroupDiscoveryList" in r.headers["Content-Type"]
        doc = json.loads(r.read())
    apps = next(i for i in doc["items"] if i["metadata"]["name"] == "apps")
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    scale = next(s for s in deploy["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert deploy["scope"] == "Namespaced" and "deploy" in deploy["shortNames"]
    for i in range(3):
        core.create_namespaced_config_map(
            ns, {"metadata": {"name": f"dc{i}", "labels": {"batch": "x" if i < 2 else "y"}}}
        )
    core.delete_collection_namespaced_config_map(ns, label_selector="batch=x")
    assert [c.metadata.name for c in core.list_namespaced_config_map(ns).items] == ["dc2"]


def test_rolling_update_respects_surge_and_unavailable(cluster, apps, core, ns):
    body = deployment_manifest("ru", replicas=4)
    body["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    apps.create_namespaced_deployment(ns, body)
    wait_for(
        lambda: (apps.read_namespaced_deployment("ru", ns).status.available_replicas or 0) == 4
    )
    seen = {"max_total": 0, "min_ready": 99}

    def pods_of() -> list:
        return [
            p
            for p in cluster.cluster.store.objects("/pods", ns)
            if (p["metadata"].get("labels") or {}).get("app") == "ru"
            and not p["metadata"].get("deletionTimestamp")
        ]

    def listener(key, type_, obj, old):
        if key != "/pods" or obj["metadata"].get("namespace") != ns:
            return
        ps = pods_of()
        ready = sum(
            1
            for p in ps
            if any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in (p.get("status") or {}).get("conditions") or []
            )
        )
        seen["max_total"] = max(seen["max_total"], len(ps))
        seen["min_ready"] = min(seen["min_ready"], ready)

    cluster.call(cluster.cluster.store.listeners.append, listener)
    try:
        apps.patch_namespaced_deployment(
            "ru",
            ns,
            {
                "spec": {
                    "template": {"spec": {"containers": [{"name": "main", "image": "nginx:9"}]}}
                }
            },
        )
        wait_for(
            lambda: (
                all(
                    c.image == "nginx:9"
                    for p in core.list_namespaced_pod(ns, label_selector="app=ru").items
                    for c in p.spec.containers
                )
                and (apps.read_namespaced_deployment("ru", ns).status.available_replicas or 0) == 4
                and len(core.list_namespaced_pod(ns, label_selector="app=ru").items) == 4
            ),
            timeout=20,
        )
    finally:
        cluster.call(cluster.cluster.store.listeners.remove, listener)
    assert seen["max_total"] == 5  # replicas + maxSurge, never more
    assert seen["min_ready"] >= 4  # maxUnavailable 0: never below the desired count


def test_failed_create_event_under_quota(apps, core, ns):
    core.create_namespaced_resource_quota(
        ns, {"metadata": {"name": "two"}, "spec": {"hard": {"pods": "2"}}}
    )
    apps.create_namespaced_deployment(ns, deployment_manifest("big", replicas=3))
    ev = wait_for(
        lambda: [e for e in core.list_namespaced_event(ns).items if e.reason == "FailedCreate"]
    )
    assert "exceeded quota: two" in ev[0].message and ev[0].involved_object.kind == "ReplicaSet"
    assert len(core.list_namespaced_pod(ns, label_selector="app=big").items) == 2

    def unavailable():
        d = apps.read_namespaced_deployment("big", ns)
        conds = {c.type: c for c in d.status.conditions or []}
        return (
            d.status.available_replicas == 2
            and conds.get("Available") is not None
            and conds["Available"]
        )

    cond = wait_for(unavailable)
    assert cond.status == "False" and cond.reason == "MinimumReplicasUnavailable"


def test_pdb_status_and_eviction(apps, core, ns):
    policy = client.PolicyV1Api(core.api_client)
    apps.create_namespaced_deployment(ns, deployment_manifest("guarded", replicas=3))
    wait_for(
        lambda: (apps.read_namespaced_deployment("guarded", ns).status.available_replicas or 0) == 3
    )
    policy.create_namespaced_pod_disruption_budget(
        ns,
        {
            "metadata": {"name": "pdb"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "guarded"}}},
        },
    )
    st = wait_for(lambda: policy.read_namespaced_pod_disruption_budget("pdb", ns).status)
    assert (st.current_healthy, st.desired_healthy, st.disruptions_allowed) == (3, 2, 1)
    pods = [
        p.metadata.name for p in core.list_namespaced_pod(ns, label_selector="app=guarded").items
    ]

    def evict(name: str) -> None:
        core.create_namespaced_pod_eviction(name, ns, {"metadata": {"name": name, "namespace": ns}})

    evict(pods[0])
    with pytest.raises(ApiException) as exc:
        evict(pods[1])
    assert exc.value.status == 429 and "disruption budget" in exc.value.body
    # once the replacement pod is ready, one more eviction is allowed again
    wait_for(
        lambda: (
            policy.read_namespaced_pod_disruption_budget("pdb", ns).status.disruptions_allowed == 1
        )
    )
    evict(pods[1])


def test_exec_can_be_disabled(tmp_path):
    from kubernetes.stream import stream

    with running_clusters(
        ("noexec",), state_dir=tmp_path, pod_ready_delay=0, exec_enabled=False
    ) as sim:
        core = client.CoreV1Api(sim["noexec"].api_client())
        core.create_namespaced_pod("default", _pod("p"))
        wait_for(lambda: core.read_namespaced_pod("p", "default").status.phase == "Running")
        with pytest.raises(ApiException) as exc:
            stream(
                core.connect_get_namespaced_pod_exec,
                "p",
                "default",
                command=["sh", "-c", "echo hi"],
                stderr=True,
                stdin=False,
                stdout=True,
                tty=False,
            )
        # the client reports websocket handshake failures as status 0 with the response inside
        assert "Handshake status 403" in exc.value.reason and "exec is disabled" in exc.value.reason


def test_concurrent_writers_get_unique_increasing_versions(cluster, ns):
    def writer(i: int) -> list[int]:
        api = client.CoreV1Api(cluster.api_client())
        return [
            int(
                api.create_namespaced_config_map(
                    ns, {"metadata": {"name": f"c-{i}-{j}"}}
                ).metadata.resource_version
            )
            for j in range(10)
        ]

    with ThreadPoolExecutor(16) as pool:
        per_thread = list(pool.map(writer, range(16)))
    versions = [v for vs in per_thread for v in vs]
    assert len(set(versions)) == 160  # one cluster-wide counter, never reused
    assert all(vs == sorted(vs) for vs in per_thread)  # monotonic as seen by each writer
    core = client.CoreV1Api(cluster.api_client())
    assert len(core.list_namespaced_config_map(ns).items) == 160
