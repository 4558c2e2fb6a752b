"""Fixtures of the reconciler tests: three in-process k2sim clusters for the session, their
Cluster rows per test, spaces and apps made through the real services (their on-commit
apply tasks are not run: the reconciler is what puts objects into the clusters here).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kubernetes import client as k8s

from apps.audit.actors import Actor
from apps.clusters.choices import Environment
from apps.clusters.models import Cluster
from apps.spaces.choices import ClusterStatus, SpaceRole, SpaceState
from apps.spaces.models import Membership, Space, SpaceCluster
from apps.spaces.permissions import grant_role
from k2sim.testing import ClusterHandle, RunningClusters
from tests.conftest import sim_for
from tests.helpers import register, wait_for  # noqa: F401  (tests import wait_for from here)

SIM_CLUSTERS = {"rc-a": Environment.TEST, "rc-b": Environment.TEST, "rc-c": Environment.TEST}
IMAGE = "harbor.k2.test/shop/web:1.0"


@pytest.fixture(scope="session")
def sim(k2sim_clusters: RunningClusters) -> RunningClusters:
    return sim_for(k2sim_clusters, tuple(SIM_CLUSTERS))


@pytest.fixture(autouse=True)
def _fresh(request, settings):
    """Fresh gateway state, short timeouts, no faults left behind."""
    from apps.clusters import gateway

    settings.K2_CLUSTER_CONNECT_TIMEOUT = 1
    settings.K2_CLUSTER_READ_TIMEOUT = 3
    settings.K2_CLUSTER_RETRY_ATTEMPTS = 3
    settings.K2_CLUSTER_RETRY_BACKOFF = 0.02
    settings.K2_CLUSTER_RETRY_BACKOFF_MAX = 0.1
    settings.K2_CLUSTER_BREAKER_COOLDOWN = 0.5
    settings.K2_RECONCILE_RETRY_BACKOFF = 0.01
    gateway.reset()
    yield
    gateway.reset()
    if "sim" in request.fixturenames:
        for handle in request.getfixturevalue("sim"):
            handle.clear_faults()
            _remove_namespaces(handle)


def _remove_namespaces(handle: ClusterHandle) -> None:
    """Each test starts from clusters without K2's namespaces (the sim lives all session)."""
    api = k8s.CoreV1Api(handle.api_client())
    for ns in api.list_namespace().items:
        labels = ns.metadata.labels or {}
        ours = labels.get("app.kubernetes.io/managed-by") == "k2cloud"
        if (ours or ns.metadata.name == "not-k2") and not ns.metadata.deletion_timestamp:
            api.delete_namespace(ns.metadata.name)


@pytest.fixture
def clusters(db, sim) -> dict[str, Cluster]:
    """Cluster rows of the simulated clusters (fresh per test, like the database),
    registered through the registration service."""
    return {
        name: register(sim[name], environment=env, ready=True) for name, env in SIM_CLUSTERS.items()
    }


def core(sim, name: str) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(sim[name].api_client())


def apps_api(sim, name: str) -> k8s.AppsV1Api:
    return k8s.AppsV1Api(sim[name].api_client())


@pytest.fixture
def make_space(clusters, alice):
    """make_space("rc-a") -> an active space on that cluster (no namespace yet)."""

    def make(cluster_name: str = "rc-a", *, slug: str | None = None) -> Space:
        slug = slug or f"r-{uuid.uuid4().hex[:8]}"
        space = Space.objects.create(
            slug=slug, environment=Environment.TEST, primary_cluster=clusters[cluster_name],
            owner=alice, quota_cpu="16", quota_memory="32Gi", quota_pods=50,
            quota_storage="100Gi", default_cpu_limit="500m", default_memory_limit="512Mi",
            state=SpaceState.ACTIVE,
        )  # fmt: skip
        SpaceCluster.objects.create(space=space, cluster=clusters[cluster_name], is_primary=True,
                                    status=ClusterStatus.READY)  # fmt: skip
        Membership.objects.create(space=space, user=alice, role=SpaceRole.OWNER)
        grant_role(space, alice, SpaceRole.OWNER)
        return space

    return make


def service_spec(**overrides) -> dict:
    spec = {
        "kind": "service",
        "image": IMAGE,
        "ports": [{"name": "http", "port": 8080}],
        "ingress": {"host": "web.k2.test", "path": "/"},
        "env": [{"name": "PROFILE", "value": "test"}],
        "config_files": [{"name": "application.yml", "content": "greeting: hello\n"}],
        "cpu_limit": "500m",
        "memory_limit": "512Mi",
    }
    spec.update(overrides)
    return spec


@pytest.fixture
def make_app(alice):
    """make_app(space, "web", **spec) through the real service; its apply task is not run,
    but its placements are marked applied as that task would (so a missing object is drift)."""
    from apps.workloads.choices import ApplyStatus
    from apps.workloads.models import AppCluster
    from apps.workloads.services import do_create_app

    def make(space: Space, name: str = "web", replicas: int = 1, **spec) -> Any:
        app = do_create_app(space, name=name, spec=service_spec(**spec), replicas=replicas,
                            actor=Actor.for_user(alice))  # fmt: skip
        AppCluster.objects.filter(app=app).update(status=ApplyStatus.APPLIED)
        return app

    return make


def managed(sim, name: str, namespace: str) -> set[tuple[str, str]]:
    """(kind, name) of the K2-labelled ConfigMaps, Services, Deployments, Ingresses."""
    selector = "app.kubernetes.io/managed-by=k2cloud"
    api_client = sim[name].api_client()
    out = set()
    for kind, items in (
        ("ConfigMap", k8s.CoreV1Api(api_client).list_namespaced_config_map(
            namespace, label_selector=selector).items),
        ("Service", k8s.CoreV1Api(api_client).list_namespaced_service(
            namespace, label_selector=selector).items),
        ("Deployment", k8s.AppsV1Api(api_client).list_namespaced_deployment(
            namespace, label_selector=selector).items),
        ("Ingress", k8s.NetworkingV1Api(api_client).list_namespaced_ingress(
            namespace, label_selector=selector).items),
    ):  # fmt: skip
        out |= {(kind, i.metadata.name) for i in items if not i.metadata.deletion_timestamp}
    return out
