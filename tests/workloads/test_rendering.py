"""Pure rendering: golden files per kind, strict OpenAPI validation of every manifest,
determinism, labels and hashes, Java preset, requests from policy, placement properties."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from apps.workloads.rendering import (
    AppTarget,
    Policy,
    Release,
    normalize_spec,
    render_app,
    split_replicas,
    to_yaml,
    validate_spec,
)
from tests.kube_openapi import validation_errors

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("K2_UPDATE_GOLDEN") == "1"
TEST_POLICY = Policy(cpu_overcommit=Decimal(4), memory_overcommit=Decimal(2))
PROD_POLICY = Policy(cpu_overcommit=Decimal(2), memory_overcommit=Decimal(1))

BASE = {
    "image": "harbor.k2.test/shop/web:1.4.2",
    "ports": [{"name": "http", "port": 8080}, {"name": "metrics", "port": 9090, "expose": False}],
    "env": [{"name": "PROFILE", "value": "test"}],
    "config_files": [{"name": "application.yml", "content": "server:\n  port: 8080\n"}],
    "config_mount_path": "/etc/web",
    "cpu_limit": "1500m",
    "memory_limit": "1Gi",
    "liveness": {"type": "http", "path": "/healthz", "initial_delay_seconds": 30},
    "readiness": {"type": "tcp", "port": 8080},
    "java": {"enabled": True, "heap_percent": 70},
    "stdout_logging": True,
}
CASES = {
    "service": {**BASE, "kind": "service", "ingress": {"host": "web.shop.k2.test", "path": "/"}},
    "stateful": {**BASE, "kind": "stateful", "ingress": None,
                 "storage": {"size": "10Gi", "mount_path": "/data", "storage_class": "fast"}},
    "job": {**BASE, "kind": "job", "command": ["/bin/sh", "-c"], "args": ["migrate"], "ports": [],
            "liveness": None, "readiness": None},
    "cronjob": {**BASE, "kind": "cronjob", "schedule": "30 2 * * 1-5", "ports": [],
                "liveness": None, "readiness": None, "java": {"enabled": False, "heap_percent": 75}},
}  # fmt: skip


def target(kind: str, **extra) -> AppTarget:
    spec = normalize_spec(CASES[kind])
    assert validate_spec(spec) == {}
    return AppTarget(
        space="shop", namespace="shop", name="web", stable=Release(spec, 3, 2), policy=TEST_POLICY,
        **extra,
    )  # fmt: skip


def canary_target() -> AppTarget:
    spec = normalize_spec(CASES["service"])
    canary = normalize_spec({**CASES["service"], "image": "harbor.k2.test/shop/web:1.5.0"})
    return AppTarget(
        space="shop", namespace="shop", name="web", stable=Release(spec, 3, 2), policy=TEST_POLICY,
        canary=Release(canary, 4, 1), canary_weight=20,
    )  # fmt: skip


ALL = {**{k: (lambda k=k: target(k)) for k in CASES}, "service-canary": canary_target}


@pytest.mark.parametrize("name", sorted(ALL))
def test_golden(name):
    text = to_yaml(render_app(ALL[name]()))
    path = GOLDEN / f"{name}.yaml"
    if UPDATE or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"rendering changed: K2_UPDATE_GOLDEN=1 to accept ({path})"


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_manifest_validates_against_openapi(name):
    for manifest in render_app(ALL[name]()):
        assert validation_errors(manifest) == [], manifest["kind"]


@pytest.mark.parametrize("name", sorted(ALL))
def test_labels_hash_and_determinism(name):
    first, second = render_app(ALL[name]()), render_app(ALL[name]())
    assert first == second
    for manifest in first:
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "k2cloud"
        assert labels["k2cloud.io/space"] == "shop" and labels["k2cloud.io/app"] == "web"
        assert len(manifest["metadata"]["annotations"]["k2cloud.io/spec-hash"]) == 32
    # The golden YAML round-trips to the same objects.
    assert list(yaml.safe_load_all(to_yaml(first))) == first


def test_spec_hash_changes_with_the_spec_only():
    a = render_app(target("service"))
    b = render_app(target("service", restarted_at="2026-01-01T00:00:00+00:00"))

    def hashes(ms):
        return {
            m["metadata"]["name"] + m["kind"]: m["metadata"]["annotations"]["k2cloud.io/spec-hash"]
            for m in ms
        }

    ha, hb = hashes(a), hashes(b)
    assert ha["webDeployment"] != hb["webDeployment"]
    assert (
        ha["webService"] == hb["webService"]
        and ha["web-configConfigMap"] == hb["web-configConfigMap"]
    )


def _container(manifests, kind="Deployment"):
    workload = next(m for m in manifests if m["kind"] == kind)
    return workload["spec"]["template"]["spec"]["containers"][0]


def test_java_preset_from_limits():
    env = {e["name"]: e.get("value") for e in _container(render_app(target("service")))["env"]}
    assert "-XX:MaxRAMPercentage=70.0" in env["JAVA_TOOL_OPTIONS"]
    assert "-XX:ActiveProcessorCount=2" in env["JAVA_TOOL_OPTIONS"]  # 1500m rounds up


def test_requests_from_policy():
    spec = normalize_spec(CASES["service"])
    for policy, cpu, memory in ((TEST_POLICY, "375m", "512Mi"), (PROD_POLICY, "750m", "1Gi")):
        t = AppTarget(
            space="s", namespace="s", name="web", stable=Release(spec, 1, 1), policy=policy
        )
        resources = _container(render_app(t))["resources"]
        assert resources["limits"] == {"cpu": "1500m", "memory": "1Gi"}
        assert resources["requests"] == {"cpu": cpu, "memory": memory}


def test_config_change_changes_pod_template_only_through_hash():
    changed = normalize_spec(
        {**CASES["service"], "config_files": [{"name": "application.yml", "content": "x"}]}
    )
    t1 = target("service")
    t2 = AppTarget(
        space="shop",
        namespace="shop",
        name="web",
        stable=Release(changed, 3, 2),
        policy=TEST_POLICY,
    )

    def ann(t):
        return next(m for m in render_app(t) if m["kind"] == "Deployment")["spec"]["template"][
            "metadata"
        ]["annotations"]

    assert ann(t1)["k2cloud.io/config-hash"] != ann(t2)["k2cloud.io/config-hash"]


def test_paused_renders_zero_replicas_and_suspended_jobs():
    deployment = next(
        m for m in render_app(target("service", paused=True)) if m["kind"] == "Deployment"
    )
    assert deployment["spec"]["replicas"] == 0
    cron = next(m for m in render_app(target("cronjob", paused=True)) if m["kind"] == "CronJob")
    assert cron["spec"]["suspend"] is True


def test_log_volume_and_share_process_namespace():
    manifests = render_app(target("service"))
    pod = next(m for m in manifests if m["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert pod["shareProcessNamespace"] is True
    volume = next(v for v in pod["volumes"] if v["name"] == "k2-logs")
    assert volume["hostPath"]["path"] == "/log-dir/k2-logs/shop/web"
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "k2-logs")
    assert mount["subPathExpr"] == "$(K2_POD_NAME)"


# --- placement ---------------------------------------------------------------------------
def test_split_examples():
    assert split_replicas(3, [("a", 2), ("b", 1)]) == {"a": 2, "b": 1}
    assert split_replicas(1, [("a", 1), ("b", 1)]) == {"a": 1, "b": 0}
    assert split_replicas(5, [("a", 0), ("b", 3)]) == {"a": 0, "b": 5}
    assert split_replicas(4, [("a", 0), ("b", 0)]) == {"a": 2, "b": 2}


@given(
    replicas=st.integers(min_value=0, max_value=1000),
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=8).filter(any),
)
def test_split_properties(replicas, weights):
    named = [(f"c{i}", w) for i, w in enumerate(weights)]
    shares = split_replicas(replicas, named)
    assert sum(shares.values()) == replicas
    total = sum(weights)
    for name, weight in named:
        assert abs(shares[name] - replicas * weight / total) < 1
        assert shares[name] >= 0
    assert shares == split_replicas(replicas, named)
