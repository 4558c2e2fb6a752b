"""Fixtures of the IPAM tests: the session's k2sim clusters "ipam" (a third of deleted
pods leak their Calico IP) and "ipam-nocalico", registered as test clusters, and helpers
that create and delete pods, read k2sim's own record of leaks and let time pass."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from kubernetes import client as k8s

from apps.audit.actors import Actor
from apps.ipam.models import IpamPolicy, LeakCandidate
from apps.ipam.services import policy_for
from tests.conftest import sim_for
from tests.helpers import register, wait_for

POD_HANDLE = "k8s-pod-network."
_names = itertools.count(1)


@pytest.fixture
def sim(k2sim_clusters):
    return sim_for(k2sim_clusters, ["ipam", "ipam-nocalico"])


@pytest.fixture
def cluster(sim, db):
    """The shared "ipam" cluster, registered as a test cluster (release mode). The area's
    tests leave leaks behind for each other, so the stop-above share is lifted here (its
    own test lowers it)."""
    cluster = register(sim["ipam"], ready=True)
    IpamPolicy.objects.filter(pk=policy_for(cluster).pk).update(max_leaked_share=1.0)
    return cluster


@pytest.fixture
def core(sim):
    return k8s.CoreV1Api(sim["ipam"].api_client())


@pytest.fixture
def custom(sim):
    return k8s.CustomObjectsApi(sim["ipam"].api_client())


@pytest.fixture
def namespace(core):
    name = f"ipam-{next(_names)}-{id(core) % 10000}"
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    yield name
    # The cluster is shared by the area's tests: its nodes' pod capacity is given back.
    delete_pods(core, name, [p.metadata.name for p in core.list_namespaced_pod(name).items])


ADMIN = Actor.system("tests.ipam")


def make_pods(
    core, namespace: str, count: int, prefix: str = "p", node: str | None = None
) -> dict[str, str]:
    """Create `count` pods and wait until each has its IP; {name: ip}."""
    names = [f"{prefix}-{i}" for i in range(count)]
    for name in names:
        core.create_namespaced_pod(namespace, k8s.V1Pod(
            metadata=k8s.V1ObjectMeta(name=name),
            spec=k8s.V1PodSpec(node_name=node, containers=[k8s.V1Container(name="c", image="busybox")]),
        ))  # fmt: skip
    return wait_for(lambda: _ips(core, namespace, names), timeout=30)


def _ips(core, namespace, names) -> dict[str, str] | None:
    pods = {p.metadata.name: p.status.pod_ip for p in core.list_namespaced_pod(namespace).items}
    if all(pods.get(n) for n in names):
        return {n: pods[n] for n in names}
    return None


def delete_pods(core, namespace: str, names) -> None:
    for name in names:
        core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
    wanted = set(names)
    wait_for(lambda: not wanted & {p.metadata.name for p in core.list_namespaced_pod(namespace).items},
             timeout=30)  # fmt: skip


def k2sim_leaked(sim) -> set[str]:
    """k2sim's own record: the handles whose pod is gone."""
    handle = sim["ipam"]
    return set(handle.call(lambda: handle.cluster.control.ipam.leaked_handles()))


def pass_grace(cluster, seconds: int | None = None) -> None:
    """Let the grace period pass for every candidate found so far."""
    seconds = seconds if seconds is not None else policy_for(cluster).grace_seconds + 1
    for row in LeakCandidate.objects.filter(cluster=cluster):
        LeakCandidate.objects.filter(pk=row.pk).update(
            first_seen_at=row.first_seen_at - timedelta(seconds=seconds)
        )


def set_leak_rate(sim, rate: float) -> None:
    handle = sim["ipam"]
    handle.call(lambda: setattr(handle.cluster.cfg, "ip_leak_rate", rate))


@pytest.fixture
def leak_all(sim):
    """Every pod deleted in the test leaks its IP (k2sim's rate set to 1 for the test)."""
    set_leak_rate(sim, 1.0)
    yield
    set_leak_rate(sim, 0.3)


@pytest.fixture
def leaked_pod(core, namespace, leak_all):
    """One pod created and deleted: (name, its leaked IP)."""
    ip = make_pods(core, namespace, 1, prefix="leak")["leak-0"]
    delete_pods(core, namespace, ["leak-0"])
    return "leak-0", ip


@pytest.fixture
def sent(monkeypatch):
    """(task, args, options) the services queued, instead of a broker."""
    from apps.core import tasks

    messages: list[tuple] = []
    monkeypatch.setattr(
        tasks, "send", lambda name, args, kwargs, options: messages.append((name, args, options))
    )
    return messages
