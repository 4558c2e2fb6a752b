"""Fixtures of the registry tests: a real Distribution registry per test (Debian's
`docker-registry` on a free loopback port, its own storage, deletes enabled), the Harbor
emulator in front of one, the k2sim cluster "registries" and a way to run a pod there."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from kubernetes import client as k8s

from apps.audit.actors import Actor
from apps.operations.services import run_operation
from apps.registries.services import do_register_registry, do_start_run
from tests.conftest import sim_for
from tests.helpers import register, wait_for
from tests.registries import distribution
from tests.registries.harbor_emulator import Emulator

ADMIN = Actor.system("tests.registries")
NOW = datetime.now(UTC)
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    settings.K2_REGISTRY_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.K2_REGISTRY_GC_POLL_SECONDS = 0.1


@pytest.fixture
def plain(tmp_path):
    running = distribution.start(tmp_path)
    yield running
    running.process.kill()
    running.process.wait()


@pytest.fixture
def harbor(plain):
    emulator = Emulator(plain)
    yield emulator
    emulator.close()


@pytest.fixture
def sim(k2sim_clusters):
    return sim_for(k2sim_clusters, ["registries"])


@pytest.fixture
def cluster(sim, db):
    return register(sim["registries"], ready=True)


@pytest.fixture
def core(sim):
    return k8s.CoreV1Api(sim["registries"].api_client())


@pytest.fixture
def namespace(core):
    name = f"reg-{next(_names)}-{id(core) % 10000}"
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


def run_pod(core, namespace: str, image: str, name: str = "app") -> None:
    core.create_namespaced_pod(namespace, k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=name),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="c", image=image)]),
    ))  # fmt: skip
    wait_for(
        lambda: core.read_namespaced_pod(name, namespace).status.container_statuses or None,
        timeout=30,
    )


def push_30(url: str, repo: str = "team/api", layer_bytes: int = 64 * 1024) -> dict[str, str]:
    """30 tags, one a day back from 20 days ago (build-1 oldest ... build-30 newest), plus a
    protected `release-1` and `v1.2.3` among the old ones; {tag: digest}."""
    out = {}
    for i in range(1, 31):
        created = (NOW - timedelta(days=50 - i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        tag = {3: "release-1", 4: "v1.2.3"}.get(i, f"build-{i}")
        out[tag] = distribution.push_image(url, repo, tag, created=created, layer_bytes=layer_bytes)
    return out


def add_registry(url: str, *, kind: str = "distribution", name: str = "plain", mode: str = "delete",
                 **extra):  # fmt: skip
    return do_register_registry(actor=ADMIN, name=name, kind=kind, url=url, mode=mode, **extra)


def run_now(registry, django_capture_on_commit_callbacks, mode=None) -> dict:
    with django_capture_on_commit_callbacks(execute=False):
        operation = do_start_run(registry, actor=ADMIN, mode=mode)
    state = run_operation(operation.pk)
    operation.refresh_from_db()
    return {"state": state, "operation": operation}
