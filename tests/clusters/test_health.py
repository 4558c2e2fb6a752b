"""Probes through the gateway: facts, fault injection driving degraded → unreachable →
ready while the other clusters stay ready, the circuit breaker, metrics, the beat task."""

import time

import pytest
from kubernetes import client as k8s

from apps.audit.models import AuditEvent
from apps.clusters import gateway
from apps.clusters.choices import Health
from apps.clusters.models import Cluster, ProbeRecord
from apps.clusters.services import do_probe_cluster
from tests.clusters.conftest import register

pytestmark = pytest.mark.django_db


def make_pod(handle, name, cpu, memory, namespace="default"):
    api = k8s.CoreV1Api(handle.api_client())
    body = k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=name),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(
            name="app", image="nginx:1.27",
            resources=k8s.V1ResourceRequirements(requests={"cpu": cpu, "memory": memory},
                                                 limits={"cpu": cpu, "memory": memory}))]),
    )  # fmt: skip
    api.create_namespaced_pod(namespace, body)
    return lambda: api.delete_namespaced_pod(name, namespace, grace_period_seconds=0)


def test_probe_fills_version_nodes_and_capacity(sim):
    cluster = register(sim["test"])
    assert cluster.health == Health.UNKNOWN
    do_probe_cluster(cluster)
    cluster.refresh_from_db()
    baseline_cpu, baseline_mem = cluster.cpu_requested_m, cluster.memory_requested
    assert cluster.health == Health.READY and cluster.state == "ready"
    assert cluster.kubernetes_version.startswith("v1.")
    assert cluster.node_count == 3 and len(cluster.nodes) == 3
    node = cluster.nodes[0]
    assert node["ready"] is True and node["capacity"]["cpu"] == "8"
    assert set(node["allocatable"]) >= {"cpu", "memory", "pods"}
    assert cluster.cpu_capacity_m == 24_000 and cluster.cpu_allocatable_m == 24_000
    assert cluster.memory_allocatable == 3 * 32 * 2**30
    assert cluster.pods_allocatable == 330

    cleanup = make_pod(sim["test"], "probe-capacity", "1500m", "3Gi")
    try:
        do_probe_cluster(cluster)
        cluster.refresh_from_db()
        assert cluster.cpu_requested_m - baseline_cpu == 1500
        assert cluster.memory_requested - baseline_mem == 3 * 2**30
        assert cluster.cpu_limits_m >= 1500
    finally:
        cleanup()
    probe = ProbeRecord.objects.filter(cluster=cluster).first()
    assert probe.ok and probe.health == Health.READY and probe.node_count == 3


def _probe_all(clusters):
    for cluster in clusters:
        do_probe_cluster(cluster)
        cluster.refresh_from_db()
    return [c.health for c in clusters]


@pytest.mark.parametrize(
    "fault",
    [{"error_rate": 1.0}, {"refuse_connections": True}, {"latency_ms": 2500}],
    ids=["error-rate", "refused-connections", "latency-beyond-timeout"],
)
def test_faults_turn_a_cluster_degraded_then_unreachable_and_back(sim, fast_probes, fault):
    test, prod, ml = register(sim["test"]), register(sim["prod"]), register(sim["ml"])
    assert _probe_all([test, prod, ml]) == ["ready"] * 3

    sim["test"].set_faults(**fault)
    seen = []
    for _ in range(3):
        seen.append(_probe_all([test, prod, ml]))
    assert [s[0] for s in seen] == ["degraded", "degraded", "unreachable"]
    assert all(s[1:] == ["ready", "ready"] for s in seen), "other clusters were affected"
    test.refresh_from_db()
    assert test.consecutive_failures == 3 and test.last_error

    # Unreachable: ordinary calls fail fast, without touching the network.
    started = time.monotonic()
    with pytest.raises(gateway.GatewayError) as info:
        gateway.call(test, "list_namespaces", lambda c: c.core.list_namespace())
    assert info.value.kind == gateway.Kind.CIRCUIT_OPEN
    assert time.monotonic() - started < 0.2

    sim["test"].clear_faults()
    assert _probe_all([test, prod, ml]) == ["ready"] * 3
    gateway.call(test, "list_namespaces", lambda c: c.core.list_namespace())

    changes = [
        (e.changes["health"]["before"], e.changes["health"]["after"])
        for e in AuditEvent.objects.filter(action="cluster.health.change", cluster_id="test").order_by("id")
    ]  # fmt: skip
    assert changes == [("unknown", "ready"), ("ready", "degraded"), ("degraded", "unreachable"),
                       ("unreachable", "ready")]  # fmt: skip
    assert not AuditEvent.objects.filter(action="cluster.health.change", cluster_id="prod")[
        1:
    ].exists()


def test_a_slow_cluster_is_degraded(sim, fast_probes):
    fast_probes.K2_CLUSTER_PROBE_SLOW_MS = 300
    test, prod = register(sim["test"]), register(sim["prod"])
    sim["test"].set_faults(latency_ms=200)
    assert _probe_all([test, prod]) == ["degraded", "ready"]
    assert "slower than 300 ms" in test.last_error
    sim["test"].clear_faults()
    assert _probe_all([test, prod]) == ["ready", "ready"]


def test_the_breaker_opens_after_repeated_failures_and_a_probe_closes_it(sim, fast_probes):
    fast_probes.K2_CLUSTER_BREAKER_THRESHOLD = 2
    fast_probes.K2_CLUSTER_BREAKER_COOLDOWN = 60
    cluster = register(sim["test"])
    do_probe_cluster(cluster)
    sim["test"].set_faults(error_rate=1.0)
    for _ in range(2):
        with pytest.raises(gateway.GatewayError) as info:
            gateway.call(cluster, "list_namespaces", lambda c: c.core.list_namespace())
        assert info.value.kind == gateway.Kind.SERVER or info.value.kind == gateway.Kind.THROTTLED
    with pytest.raises(gateway.GatewayError) as info:
        gateway.call(cluster, "list_namespaces", lambda c: c.core.list_namespace())
    assert info.value.kind == gateway.Kind.CIRCUIT_OPEN
    assert gateway.breaker_open(cluster)
    sim["test"].clear_faults()
    do_probe_cluster(cluster)
    assert not gateway.breaker_open(cluster)
    gateway.call(cluster, "list_namespaces", lambda c: c.core.list_namespace())


def test_writes_are_not_retried_but_reads_are(sim, fast_probes):
    cluster = register(sim["test"])
    do_probe_cluster(cluster)
    sim["test"].set_faults(error_rate=1.0)
    read, write = gateway.CallStats(), gateway.CallStats()
    with pytest.raises(gateway.GatewayError):
        gateway.call(cluster, "list_namespaces", lambda c: c.core.list_namespace(), stats=read)
    with pytest.raises(gateway.GatewayError):
        gateway.call(
            cluster, "create_namespace",
            lambda c: c.core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="x"))),
            idempotent=False, stats=write,
        )  # fmt: skip
    assert read.attempts == 2 and write.attempts == 1


def test_clients_are_rebuilt_when_credentials_change(sim):
    cluster = register(sim["test"])
    first = gateway.call(cluster, "noop", lambda c: c)
    assert gateway.call(cluster, "noop", lambda c: c) is first
    from apps.audit.actors import Actor
    from apps.clusters.services import do_update_cluster
    from tests.clusters.conftest import kubeconfig_for

    cluster = do_update_cluster(
        cluster, kubeconfig=kubeconfig_for(sim["test"]), actor=Actor.system("tests")
    )
    assert cluster.credentials_version == 2
    assert gateway.call(cluster, "noop", lambda c: c) is not first


def test_metrics_per_cluster_are_exposed(sim, client, settings):
    settings.K2_METRICS_TOKEN = "scrape-token-for-tests"
    cluster = register(sim["ml"])
    do_probe_cluster(cluster)
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests")
    text = text.content.decode()
    assert 'k2_cluster_calls_total{cluster="ml",operation="version",outcome="ok"}' in text
    assert 'k2_cluster_call_seconds_bucket{cluster="ml",le="0.01",operation="list_nodes"}' in text


def test_the_probe_schedule_is_kept_by_name(db):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from apps.clusters.schedules import PROBE_TASK_NAME, ensure_probe_schedule

    other = PeriodicTask.objects.create(
        name="someone else's", task="workers.audit.archive_old_events",
        interval=IntervalSchedule.objects.create(every=1, period="days"),
    )  # fmt: skip
    ensure_probe_schedule()
    edited = PeriodicTask.objects.get(name=PROBE_TASK_NAME)
    edited.interval = IntervalSchedule.objects.create(every=45, period="seconds")
    edited.save()
    ensure_probe_schedule()
    task = PeriodicTask.objects.get(name=PROBE_TASK_NAME)
    assert task.task == "workers.clusters.probe_all_clusters" and task.interval.every == 45
    assert PeriodicTask.objects.filter(pk=other.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_probes_every_enabled_cluster_in_a_worker(sim, celery_worker_process):
    from workers.clusters import probe_all_clusters

    test, prod = register(sim["test"]), register(sim["prod"])
    Cluster.objects.filter(pk=prod.pk).update(enabled=False)
    assert probe_all_clusters.delay().get(timeout=20) == 1
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        test.refresh_from_db()
        if test.health == Health.READY and test.node_count == 3:
            break
        time.sleep(0.2)
    assert test.health == Health.READY and test.node_count == 3
    prod.refresh_from_db()
    assert prod.last_probe_at is None or prod.health == Health.UNKNOWN


def test_concurrent_calls_per_cluster_are_bounded(sim, settings):
    import threading

    settings.K2_CLUSTER_MAX_CONCURRENCY = 1
    settings.K2_CLUSTER_ACQUIRE_TIMEOUT = 0.1
    busy, other = register(sim["test"]), register(sim["prod"])
    release = threading.Event()
    holder = threading.Thread(target=lambda: gateway.call(busy, "hold", lambda c: release.wait(5)))
    holder.start()
    try:
        time.sleep(0.05)
        with pytest.raises(gateway.GatewayError) as info:
            gateway.call(busy, "list_namespaces", lambda c: c.core.list_namespace())
        assert info.value.kind == gateway.Kind.BUSY
        gateway.call(other, "list_namespaces", lambda c: c.core.list_namespace())  # unaffected
    finally:
        release.set()
        holder.join()
    gateway.call(busy, "list_namespaces", lambda c: c.core.list_namespace())
