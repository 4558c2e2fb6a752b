"""Fixtures of the apps tests: three in-process k2sim clusters for the session (two test
clusters, one production), their Cluster rows per test, spaces with personas as members,
and `run` to execute a service with its on-commit work (the apply task) done in-process.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from kubernetes import client as k8s

from apps.clusters.choices import Environment
from apps.clusters.models import Cluster
from apps.spaces.choices import ClusterStatus, SpaceRole, SpaceState
from apps.spaces.models import Membership, Space, SpaceCluster
from apps.spaces.permissions import grant_role
from k2sim.testing import RunningClusters
from tests.conftest import make_user, sim_for
from tests.helpers import register, wait_for  # noqa: F401  (tests import wait_for from here)

SIM_CLUSTERS = {
    "wl-test": Environment.TEST,
    "wl-test2": Environment.TEST,
    "wl-prod": Environment.PROD,
}
IMAGE = "harbor.k2.test/shop/web:1.0"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Personas are made in nearly every test here; password strength is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def sim(k2sim_clusters: RunningClusters) -> RunningClusters:
    return sim_for(k2sim_clusters, tuple(SIM_CLUSTERS))


@pytest.fixture
def clusters(db, sim) -> dict[str, Cluster]:
    """The Cluster rows of the simulated clusters (fresh per test, like the database),
    registered through the registration service."""
    from apps.clusters import gateway

    gateway.reset()
    return {
        name: register(sim[name], environment=env, ready=True) for name, env in SIM_CLUSTERS.items()
    }


def core_api(sim, cluster_name: str) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(sim[cluster_name].api_client())


def apps_api(sim, cluster_name: str) -> k8s.AppsV1Api:
    return k8s.AppsV1Api(sim[cluster_name].api_client())


@pytest.fixture
def make_space(clusters, sim, alice, django_user_model):
    """make_space(environment="test", clusters=("wl-test",), members={user: role})

    A space (owner alice) on the named clusters, with its namespace made directly in
    k2sim (provisioning is the spaces app's business, tested there).
    """

    def make(
        environment: str = Environment.TEST,
        cluster_names: tuple[str, ...] = ("wl-test",),
        members: dict | None = None,
        *,
        slug: str | None = None,
        quota_cpu: str = "16",
        quota_memory: str = "32Gi",
        quota_pods: int = 50,
    ) -> Space:
        slug = slug or f"s-{uuid.uuid4().hex[:8]}"
        space = Space.objects.create(
            slug=slug, environment=environment, primary_cluster=clusters[cluster_names[0]],
            owner=alice, quota_cpu=quota_cpu, quota_memory=quota_memory, quota_pods=quota_pods,
            quota_storage="100Gi", default_cpu_limit="500m", default_memory_limit="512Mi",
            state=SpaceState.ACTIVE,
        )  # fmt: skip
        for i, name in enumerate(cluster_names):
            SpaceCluster.objects.create(
                space=space, cluster=clusters[name], is_primary=i == 0, status=ClusterStatus.READY
            )
            core_api(sim, name).create_namespace(
                k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=slug))
            )
        for user, role in {alice: SpaceRole.OWNER, **(members or {})}.items():
            Membership.objects.create(space=space, user=user, role=role)
            grant_role(space, user, role)
        return space

    return make


@pytest.fixture
def dev(django_user_model):
    """A developer of the spaces made with `space`."""
    from apps.accounts.roles import Role

    return make_user(django_user_model, "devon", Role.EMPLOYEE)


@pytest.fixture
def viewer(django_user_model):
    from apps.accounts.roles import Role

    return make_user(django_user_model, "vera", Role.EMPLOYEE)


@pytest.fixture
def space(make_space, dev, viewer):
    """A test space on wl-test: alice owner, devon developer, vera viewer."""
    return make_space(members={dev: SpaceRole.DEVELOPER, viewer: SpaceRole.VIEWER})


@pytest.fixture
def run(django_capture_on_commit_callbacks, monkeypatch) -> Callable:
    """run(service, *args, **kwargs): call a service, then run the tasks it queued on commit
    in this process (the real worker is exercised by the browser test): the reconciler's
    targeted pass, and its follow-up looks (after their countdown) while a rollout or a
    removal is under way, up to FOLLOW_BUDGET seconds."""
    from celery import current_app

    from apps.core import tasks

    current_app.loader.import_default_modules()  # the workers/ task modules, as a worker does
    queued: list[tuple[str, tuple, dict, dict]] = []
    monkeypatch.setattr(tasks, "send", lambda name, a, k, o: queued.append((name, a, k, o)))

    def call(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = fn(*args, **kwargs)
        deadline = time.monotonic() + FOLLOW_BUDGET
        while queued:
            name, a, k, options = queued.pop(0)
            if options.get("countdown"):
                if time.monotonic() > deadline:
                    continue  # the rest of the rollout is not this test's business
                time.sleep(min(options["countdown"], 0.5))
            current_app.tasks[name].run(*a, **k)
        return result

    call.queued = queued
    return call


FOLLOW_BUDGET = 10.0


def ready_pods(sim, cluster_name: str, namespace: str, app: str, track: str | None = None) -> list:
    selector = f"k2cloud.io/app={app}" + (f",k2cloud.io/track={track}" if track else "")
    pods = core_api(sim, cluster_name).list_namespaced_pod(namespace, label_selector=selector).items
    return [
        p for p in pods
        if p.metadata.deletion_timestamp is None and p.status.phase == "Running"
        and all(c.ready for c in p.status.container_statuses or [])
    ]  # fmt: skip


def service_spec(**overrides) -> dict:
    spec = {
        "kind": "service",
        "image": IMAGE,
        "ports": [{"name": "http", "port": 8080}],
        "ingress": {"host": "web.k2.test", "path": "/"},
        "env": [{"name": "PROFILE", "value": "test"}],
        "config_files": [{"name": "application.yml", "content": "greeting: hello\n"}],
        "cpu_limit": "500m",
        "memory_limit": "1Gi",
        "readiness": {"type": "http", "path": "/healthz"},
    }
    spec.update(overrides)
    return spec


__all__ = ["Decimal", "IMAGE", "service_spec", "wait_for", "ready_pods", "core_api", "apps_api"]
