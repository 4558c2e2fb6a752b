"""Full passes against k2sim: creating, repairing, pruning, guards, unmanaged objects."""

import pytest
from kubernetes import client as k8s

from apps.audit.models import AuditEvent
from apps.reconciler import desired as desired_mod
from apps.reconciler.choices import DriftChange, PassStatus
from apps.reconciler.desired import app_targets_bulk
from apps.reconciler.kinds import KINDS
from apps.reconciler.models import DriftEvent, ObservedApp, ObservedSpace
from apps.reconciler.services import run_pass
from apps.workloads.models import App
from apps.workloads.targets import app_targets
from tests.reconciler.conftest import apps_api, core, managed, wait_for

pytestmark = pytest.mark.django_db


def test_cold_pass_creates_everything_and_second_pass_is_a_no_op(clusters, sim, make_space,
                                                                  make_app):  # fmt: skip
    space = make_space("rc-a")
    make_app(space, "web")
    make_app(space, "api")
    first = run_pass(clusters["rc-a"].pk)
    assert first.status == PassStatus.SUCCEEDED, first.error
    assert (
        first.applied == 13
    )  # 5 space objects + 2 apps x (ConfigMap, Service, Deployment, Ingress)
    assert managed(sim, "rc-a", space.slug) == {
        (k, n) for n in ("web", "api") for k in ("Service", "Deployment", "Ingress")
    } | {("ConfigMap", "web-config"), ("ConfigMap", "api-config")}
    second = run_pass(clusters["rc-a"].pk)
    assert second.status == PassStatus.SUCCEEDED
    assert (second.applied, second.pruned, second.failed) == (0, 0, 0)
    lists = len(KINDS)  # one LIST per managed kind, nothing else
    assert second.api_calls == {"list": lists, "requests": lists}
    assert ObservedApp.objects.filter(cluster=clusters["rc-a"]).count() == 2
    assert ObservedSpace.objects.filter(space=space).exists()


def test_manually_edited_deployment_is_put_back(clusters, sim, make_space, make_app):
    space = make_space("rc-a")
    make_app(space, "web", replicas=2)
    run_pass(clusters["rc-a"].pk)
    api = apps_api(sim, "rc-a")
    api.patch_namespaced_deployment("web", space.slug, {"spec": {"replicas": 7}})
    assert api.read_namespaced_deployment("web", space.slug).spec.replicas == 7
    row = run_pass(clusters["rc-a"].pk)
    assert row.applied == 1 and row.drifted == 1
    assert api.read_namespaced_deployment("web", space.slug).spec.replicas == 2
    event = DriftEvent.objects.get(kind="Deployment", name="web", change=DriftChange.MODIFIED)
    assert event.detail == "spec.replicas" and event.repaired_at is not None
    assert event.app.name == "web"


def test_manually_deleted_service_comes_back(clusters, sim, make_space, make_app):
    space = make_space("rc-a")
    make_app(space, "web")
    run_pass(clusters["rc-a"].pk)
    core(sim, "rc-a").delete_namespaced_service("web", space.slug)
    row = run_pass(clusters["rc-a"].pk)
    assert row.applied == 1
    assert core(sim, "rc-a").read_namespaced_service("web", space.slug).metadata.labels[
        "app.kubernetes.io/managed-by"] == "k2cloud"  # fmt: skip
    assert DriftEvent.objects.filter(kind="Service", change=DriftChange.DELETED).exists()


def test_orphan_is_pruned_when_the_cluster_returns(clusters, sim, make_space, make_app):
    space = make_space("rc-a")
    make_app(space, "web")
    gone = make_app(space, "old")
    run_pass(clusters["rc-a"].pk)
    sim["rc-a"].set_faults(refuse_connections=True)
    App.objects.filter(pk=gone.pk).delete()  # deleted while the cluster could not be told
    row = run_pass(clusters["rc-a"].pk)
    assert row.status == PassStatus.SKIPPED and "unreachable" in row.error.lower()
    sim["rc-a"].clear_faults()
    from apps.clusters import gateway

    gateway.reset()
    row = run_pass(clusters["rc-a"].pk)
    assert row.status == PassStatus.SUCCEEDED, row.error
    assert row.pruned == 4
    left = managed(sim, "rc-a", space.slug)
    assert not {n for _k, n in left} & {"old", "old-config"}
    assert ("Deployment", "web") in left


def test_unmanaged_objects_are_never_touched(clusters, sim, make_space, make_app):
    space = make_space("rc-a")
    make_app(space, "web")
    run_pass(clusters["rc-a"].pk)
    api = core(sim, "rc-a")
    # A person's own ConfigMap in the space, one with the name K2 would use, and a copy of
    # K2's labels in a namespace that is not a K2 space (exported YAML applied elsewhere).
    api.create_namespaced_config_map(space.slug, k8s.V1ConfigMap(
        metadata=k8s.V1ObjectMeta(name="mine"), data={"a": "1"}))  # fmt: skip
    api.delete_namespaced_config_map("web-config", space.slug)
    api.create_namespaced_config_map(space.slug, k8s.V1ConfigMap(
        metadata=k8s.V1ObjectMeta(name="web-config"), data={"theirs": "yes"}))  # fmt: skip
    api.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name="not-k2")))
    api.create_namespaced_config_map("not-k2", k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(
        name="copy", labels={"app.kubernetes.io/managed-by": "k2cloud",
                             "k2cloud.io/app": "web"}), data={"x": "1"}))  # fmt: skip
    row = run_pass(clusters["rc-a"].pk)
    assert row.pruned == 0 and row.applied == 0 and row.failed == 1
    assert "not managed by K2Cloud" in row.failures[0]["error"]
    assert api.read_namespaced_config_map("web-config", space.slug).data == {"theirs": "yes"}
    assert api.read_namespaced_config_map("mine", space.slug).data == {"a": "1"}
    assert api.read_namespaced_config_map("copy", "not-k2").data == {"x": "1"}


def test_prune_guard_stops_a_pass_when_the_desired_state_query_fails(
    clusters, sim, make_space, make_app, monkeypatch, settings
):
    settings.K2_RECONCILE_MAX_PRUNE_SHARE = 0.3
    space = make_space("rc-a")
    for i in range(5):
        make_app(space, f"app{i}")
    run_pass(clusters["rc-a"].pk)
    before = managed(sim, "rc-a", space.slug)
    real = desired_mod.desired_state

    def broken(*args, **kwargs):
        raise RuntimeError("connection to the database lost")

    monkeypatch.setattr(desired_mod, "desired_state", broken)
    row = run_pass(clusters["rc-a"].pk)
    assert row.status == PassStatus.FAILED and row.prune_blocked and row.pruned == 0
    assert "database lost" in row.error
    assert managed(sim, "rc-a", space.slug) == before

    def partial(*args, **kwargs):
        state = real(*args, **kwargs)
        # The query "returned" only one app: the rest would look like orphans.
        state.objects = {k: v for k, v in state.objects.items()
                         if k[0] in ("Namespace", "ResourceQuota", "LimitRange", "RoleBinding",
                                     "NetworkPolicy") or k[2].startswith("app0")}  # fmt: skip
        return state

    monkeypatch.setattr(desired_mod, "desired_state", partial)
    row = run_pass(clusters["rc-a"].pk)
    assert row.prune_blocked and row.pruned == 0
    assert "more than 30%" in row.error
    assert managed(sim, "rc-a", space.slug) == before
    assert AuditEvent.objects.filter(action="reconcile.prune.blocked").count() == 2


def test_bulk_targets_match_the_apps_own(clusters, make_space, make_app):
    space = make_space("rc-a")
    apps = [make_app(space, f"a{i}", replicas=i + 1) for i in range(3)]
    apps = list(App.objects.filter(pk__in=[a.pk for a in apps])
                .select_related("space", "revision", "canary_revision"))  # fmt: skip
    bulk = app_targets_bulk(apps, clusters["rc-a"])
    for app in apps:
        [(placement, target)] = app_targets(app)
        assert bulk[app.pk][1] == target and bulk[app.pk][0].pk == placement.pk


def test_status_is_synced_in_bulk_and_a_quiet_pass_writes_nothing(clusters, sim, make_space,
                                                                   make_app):  # fmt: skip
    from apps.reconciler.engine import Target, reconcile

    space = make_space("rc-a")
    app = make_app(space, "web", replicas=2)
    run_pass(clusters["rc-a"].pk)
    wait_for(lambda: (apps_api(sim, "rc-a").read_namespaced_deployment("web", space.slug)
                      .status.ready_replicas or 0) == 2)  # fmt: skip
    reconcile(clusters["rc-a"], Target())
    observed = ObservedApp.objects.get(app=app)
    assert (observed.desired_replicas, observed.ready_replicas, observed.ready) == (2, 2, True)
    assert reconcile(clusters["rc-a"], Target()).status_rows == 0


def test_the_apps_list_shows_synced_replicas_without_calling_a_cluster(
    clusters, sim, make_space, make_app, alice, client, django_assert_max_num_queries
):
    from apps.reconciler.engine import Target, reconcile

    space = make_space("rc-a")
    make_app(space, "web", replicas=2)
    run_pass(clusters["rc-a"].pk)
    wait_for(lambda: (apps_api(sim, "rc-a").read_namespaced_deployment("web", space.slug)
                      .status.ready_replicas or 0) == 2)  # fmt: skip
    reconcile(clusters["rc-a"], Target())
    client.force_login(alice)
    sim["rc-a"].set_faults(refuse_connections=True)  # the list must not need the cluster
    try:
        with django_assert_max_num_queries(30):
            html = client.get(f"/apps/{space.slug}/").content.decode()
    finally:
        sim["rc-a"].clear_faults()
    assert 'data-testid="app-replicas"><span title="ready / desired, as last observed' in html
    assert ">2/2</span>" in html
