"""One pass per cluster at a time, duplicate tasks, faults on one cluster, the watcher."""

import threading

import pytest
from django.db import connection

from apps.reconciler.choices import PassStatus, Trigger
from apps.reconciler.models import DriftEvent, ReconcilePass
from apps.reconciler.services import run_pass
from tests.reconciler.conftest import apps_api, core, managed, wait_for


@pytest.mark.django_db(transaction=True)
def test_two_passes_started_at_once_run_one_after_the_other(clusters, sim, make_space,
                                                             make_app):  # fmt: skip
    space = make_space("rc-a")
    make_app(space, "web")
    sim["rc-a"].set_faults(latency_ms=40)  # long enough passes to overlap if they could
    barrier = threading.Barrier(2)

    def one():
        barrier.wait()
        try:
            run_pass(clusters["rc-a"].pk, trigger=Trigger.MANUAL, wait=60)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first, second = ReconcilePass.objects.filter(cluster=clusters["rc-a"]).order_by("started_at")
    assert first.finished_at <= second.started_at
    assert first.applied > 0 and second.applied == 0


@pytest.mark.django_db
def test_a_duplicated_task_changes_nothing(clusters, sim, make_space, make_app):
    from workers.reconcile import reconcile_cluster

    space = make_space("rc-a")
    make_app(space, "web")
    reconcile_cluster.run(clusters["rc-a"].pk)
    api = apps_api(sim, "rc-a")
    generation = api.read_namespaced_deployment("web", space.slug).metadata.generation
    second = ReconcilePass.objects.get(pk=reconcile_cluster.run(clusters["rc-a"].pk))
    assert (second.applied, second.pruned, second.failed) == (0, 0, 0)
    assert api.read_namespaced_deployment("web", space.slug).metadata.generation == generation
    assert reconcile_cluster.run(999999) is None  # a cluster that is gone: quietly nothing


@pytest.mark.django_db
def test_a_faulty_cluster_converges_once_faults_clear_others_meanwhile(clusters, sim,
                                                                        make_space, make_app):  # fmt: skip
    spaces = {}
    for name in ("rc-a", "rc-b", "rc-c"):
        spaces[name] = make_space(name)
        make_app(spaces[name], "web")
        make_app(spaces[name], "api")
    sim["rc-b"].set_faults(latency_ms=500, error_rate=0.3)
    during = {name: run_pass(clusters[name].pk) for name in ("rc-a", "rc-b", "rc-c")}
    for name in ("rc-a", "rc-c"):
        assert during[name].status == PassStatus.SUCCEEDED, during[name].error
        assert len(managed(sim, name, spaces[name].slug)) == 8
    sim["rc-b"].clear_faults()
    from apps.clusters import gateway

    gateway.reset()
    for _ in range(3):  # objects that failed are retried with (a short) backoff
        row = run_pass(clusters["rc-b"].pk)
        if (
            row.status == PassStatus.SUCCEEDED
            and len(managed(sim, "rc-b", spaces["rc-b"].slug)) == 8
        ):
            break
        wait_for(lambda: True)
    assert row.status == PassStatus.SUCCEEDED, row.error
    assert len(managed(sim, "rc-b", spaces["rc-b"].slug)) == 8
    assert run_pass(clusters["rc-b"].pk).applied == 0


@pytest.mark.django_db(transaction=True)
def test_the_watcher_repairs_drift(clusters, sim, make_space, make_app):
    from apps.reconciler.watch import Watcher

    space = make_space("rc-a")
    make_app(space, "web", replicas=2)
    run_pass(clusters["rc-a"].pk)
    watcher = Watcher([clusters["rc-a"]]).start()
    try:
        assert watcher.wait_ready(30)
        api = apps_api(sim, "rc-a")
        api.patch_namespaced_deployment("web", space.slug, {"spec": {"replicas": 5}})
        wait_for(lambda: api.read_namespaced_deployment("web", space.slug).spec.replicas == 2)
        core(sim, "rc-a").delete_namespaced_service("web", space.slug)
        wait_for(lambda: ("Service", "web") in managed(sim, "rc-a", space.slug))
    finally:
        watcher.stop()
    changes = set(DriftEvent.objects.filter(trigger=Trigger.WATCH).values_list("kind", "change"))
    assert changes == {("Deployment", "modified"), ("Service", "deleted")}
    assert not DriftEvent.objects.filter(repaired_at__isnull=True).exists()
