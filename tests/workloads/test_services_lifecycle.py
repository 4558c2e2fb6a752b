"""A service app's life against k2sim: create, scale, pause/resume, config roll, rollback,
restart, delete; requests follow the cluster's overcommit policy."""

import pytest
from kubernetes import client as k8s

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.workloads import services
from apps.workloads.choices import AppStatus
from apps.workloads.models import App
from apps.workloads.status import read_status
from tests.workloads.conftest import IMAGE, apps_api, core_api, ready_pods, service_spec, wait_for

pytestmark = pytest.mark.django_db


def _deployment(sim, cluster, ns, name):
    return apps_api(sim, cluster).read_namespaced_deployment(name, ns)


def test_create_service_app_runs_with_all_objects(sim, space, dev, run):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    ns = space.namespace
    core = core_api(sim, "wl-test")
    deployment = _deployment(sim, "wl-test", ns, "web")
    assert deployment.metadata.labels["app.kubernetes.io/managed-by"] == "k2cloud"
    assert deployment.metadata.labels["k2cloud.io/space"] == space.slug
    assert deployment.metadata.annotations["k2cloud.io/spec-hash"]
    assert deployment.metadata.managed_fields[0].manager == "k2cloud"
    assert core.read_namespaced_service("web", ns).spec.ports[0].port == 8080
    assert core.read_namespaced_config_map("web-config", ns).data == {
        "application.yml": "greeting: hello\n"
    }
    ingress = k8s.NetworkingV1Api(sim["wl-test"].api_client()).read_namespaced_ingress("web", ns)
    assert ingress.spec.rules[0].host == "web.k2.test"
    assert ingress.spec.ingress_class_name == "nginx"
    pod_spec = deployment.spec.template.spec
    assert pod_spec.share_process_namespace is True
    mounts = {m.name: m for m in pod_spec.containers[0].volume_mounts}
    assert mounts["k2-logs"].mount_path == f"/log-dir/k2-logs/{ns}/web"
    wait_for(lambda: len(ready_pods(sim, "wl-test", ns, "web")) == 1)

    status = read_status(App.objects.get(pk=app.pk), fresh=True)
    assert status["phase"] == AppStatus.RUNNING
    assert status["summary"]["ready"] == 1
    pod = status["pods"][0]
    assert pod["phase"] == "Running" and pod["ready"] and pod["node"] and pod["ip"]
    assert AuditEvent.objects.filter(action="app.create", target_id=str(app.pk)).exists()


def test_scale_pause_resume(sim, space, dev, run):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    run(services.do_scale_app, app, 3, actor=Actor.for_user(dev))
    wait_for(lambda: len(ready_pods(sim, "wl-test", space.namespace, "web")) == 3)

    run(services.do_pause_app, App.objects.get(pk=app.pk), actor=Actor.for_user(dev))
    app.refresh_from_db()
    assert app.paused and app.replicas == 0 and app.paused_replicas == 3
    assert _deployment(sim, "wl-test", space.namespace, "web").spec.replicas == 0
    wait_for(lambda: not ready_pods(sim, "wl-test", space.namespace, "web"))

    run(services.do_resume_app, app, actor=Actor.for_user(dev))
    app.refresh_from_db()
    assert not app.paused and app.replicas == 3
    wait_for(lambda: len(ready_pods(sim, "wl-test", space.namespace, "web")) == 3)
    actions = list(
        AuditEvent.objects.filter(target_id=str(app.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["app.create", "app.scale", "app.pause", "app.resume"]
    from apps.analytics.models import UsageEvent

    scaled = UsageEvent.objects.get(feature="app.scaled")
    assert scaled.space_slug == space.slug and scaled.props == {"app": "web", "replicas": 3}


def test_config_change_rolls_pods_and_rollback_restores_image(sim, space, dev, run):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    ns = space.namespace
    first = wait_for(lambda: ready_pods(sim, "wl-test", ns, "web"))
    old_pod = first[0].metadata.name

    files = [{"name": "application.yml", "content": "greeting: bonjour\n"}]
    rev2 = run(
        services.do_edit_app,
        app,
        spec={"config_files": files},
        message="French",
        actor=Actor.for_user(dev),
    )
    assert rev2.number == 2
    assert (
        core_api(sim, "wl-test")
        .read_namespaced_config_map("web-config", ns)
        .data["application.yml"]
        == "greeting: bonjour\n"
    )
    wait_for(
        lambda: [p for p in ready_pods(sim, "wl-test", ns, "web") if p.metadata.name != old_pod]
    )

    run(
        services.do_edit_app,
        App.objects.get(pk=app.pk),
        spec={"image": "harbor.k2.test/shop/web:2.0"},
        actor=Actor.for_user(dev),
    )
    assert (
        _deployment(sim, "wl-test", ns, "web")
        .spec.template.spec.containers[0]
        .image.endswith(":2.0")
    )
    rev4 = run(services.do_rollback_app, App.objects.get(pk=app.pk), 1, actor=Actor.for_user(dev))
    assert rev4.number == 4 and rev4.source_number == 1 and rev4.spec["image"] == IMAGE
    assert _deployment(sim, "wl-test", ns, "web").spec.template.spec.containers[0].image == IMAGE
    wait_for(
        lambda: [p for p in ready_pods(sim, "wl-test", ns, "web") if p.spec.containers[0].image == IMAGE
                 and p.metadata.labels["k2cloud.io/revision"] == "4"]
    )  # fmt: skip


def test_unchanged_edit_makes_no_revision(space, dev, run):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    assert run(services.do_edit_app, app, spec={}, actor=Actor.for_user(dev)).number == 1
    assert app.revisions.count() == 1


def test_requests_follow_overcommit_policy(sim, make_space, dev, run, clusters):
    from apps.spaces.choices import SpaceRole

    test_space = make_space(members={dev: SpaceRole.DEVELOPER})
    prod_space = make_space("prod", ("wl-prod",), members={dev: SpaceRole.DEVELOPER})
    for sp in (test_space, prod_space):
        run(services.do_create_app, sp, name="api", spec=service_spec(cpu_limit="1", memory_limit="2Gi"),
            actor=Actor.for_user(dev))  # fmt: skip
    test_res = (
        _deployment(sim, "wl-test", test_space.namespace, "api")
        .spec.template.spec.containers[0]
        .resources
    )
    prod_res = (
        _deployment(sim, "wl-prod", prod_space.namespace, "api")
        .spec.template.spec.containers[0]
        .resources
    )
    assert test_res.limits == prod_res.limits == {"cpu": "1", "memory": "2Gi"}
    assert test_res.requests["memory"] == "1Gi"  # test: memory overcommitted 2x
    assert prod_res.requests["memory"] == "2Gi"  # prod: never overcommitted
    assert test_res.requests["cpu"] == "250m" and prod_res.requests["cpu"] == "500m"


def test_restart_and_delete(sim, space, dev, run):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    run(services.do_restart_app, app, actor=Actor.for_user(dev))
    template = _deployment(sim, "wl-test", space.namespace, "web").spec.template
    assert template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]

    run(services.do_delete_app, App.objects.get(pk=app.pk), actor=Actor.for_user(dev))
    assert not App.objects.filter(pk=app.pk).exists()
    assert not apps_api(sim, "wl-test").list_namespaced_deployment(space.namespace).items
    assert (
        not k8s.NetworkingV1Api(sim["wl-test"].api_client())
        .list_namespaced_ingress(space.namespace)
        .items
    )


def test_audit_records_that_env_and_config_changed_but_not_their_values(space, dev, run):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    secret = [{"name": "DB_URL", "value": "postgres://app:hunter2@db/app"}]
    run(
        services.do_edit_app,
        app,
        spec={"env": secret, "image": "harbor.k2.test/shop/web:9"},
        actor=Actor.for_user(dev),
    )
    event = AuditEvent.objects.get(action="app.edit", target_id=str(app.pk))
    assert event.changes["env"] == {"before": "[redacted]", "after": "[redacted]"}
    assert event.changes["image"]["after"] == "harbor.k2.test/shop/web:9"
    assert "hunter2" not in str(event.changes)


def test_status_reports_the_last_oom_kill_and_events(sim, space, dev, run):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    patch = {
        "spec": {"template": {"metadata": {"annotations": {"k2sim.io/oom-after-seconds": "0.2"}}}}
    }
    apps_api(sim, "wl-test").patch_namespaced_deployment("web", space.namespace, patch)

    def oom():
        status = read_status(App.objects.get(pk=app.pk), fresh=True)
        return status["last_oom"] and status

    status = wait_for(oom)
    assert status["last_oom"]["cluster"] == "wl-test" and status["last_oom"]["pod"].startswith(
        "web-"
    )
    assert any(e["reason"] == "OOMKilling" for e in status["events"])
    assert any(p["restarts"] >= 1 for p in status["pods"])


def _change_passes(space, name: str) -> int:
    from apps.reconciler.models import ReconcilePass

    return ReconcilePass.objects.filter(
        scope="app", target=f"{space.namespace}/{name}", trigger="change"
    ).count()


def test_every_api_change_reaches_the_cluster_through_a_targeted_pass_row(sim, space, dev, run):
    from tests.conftest import api_as

    client = api_as(dev)
    url = f"/api/v1/apps/{space.slug}/web/"
    body = {"space": space.slug, "name": "web", "spec": service_spec(), "replicas": 1}
    changes = [
        (client.post, "/api/v1/apps/", body),
        (client.post, f"{url}scale/", {"replicas": 2}),
        (client.patch, url, {"spec": {"image": "harbor.k2.test/shop/web:2.0"}}),
        (client.post, f"{url}pause/", {}),
        (client.post, f"{url}resume/", {}),
        (client.post, f"{url}restart/", {}),
        (client.post, f"{url}rollback/", {"revision": 1}),
        (client.delete, url, None),
    ]
    for method, path, data in changes:
        before = _change_passes(space, "web")
        response = run(method, path, data, format="json")
        assert response.status_code < 300, (path, response.content)
        assert _change_passes(space, "web") == before + 1, f"{method.__name__} {path}: no pass row"
    assert not App.objects.filter(space=space, name="web").exists()


def test_app_status_comes_from_what_the_reconciler_observed(sim, space, dev, run, monkeypatch):
    from apps.core import tasks
    from apps.reconciler.services import reconcile_app

    # Run the on-commit pass, but none of its follow-up looks: the status stays as the
    # one pass saw it (its Deployment just written: deploying).
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    run.queued.clear()
    monkeypatch.setattr(tasks, "send", lambda *a: None)
    app.refresh_from_db()
    wait_for(lambda: len(ready_pods(sim, "wl-test", space.namespace, "web")) == 1)
    App.objects.filter(pk=app.pk).update(status=AppStatus.DEPLOYING)
    # The live page reads the pods but writes nothing: the row keeps what was observed.
    page = read_status(App.objects.get(pk=app.pk), fresh=True)
    assert page["summary"]["ready"] == 1 and page["phase"] == AppStatus.DEPLOYING
    assert App.objects.get(pk=app.pk).status == AppStatus.DEPLOYING
    # The reconciler's next look sees the ready pods and settles the app running.
    result = reconcile_app(app.pk)
    assert result["again_in"] is None
    app.refresh_from_db()
    assert app.status == AppStatus.RUNNING and app.applied_generation == app.generation
    placement = app.placements.get()
    assert placement.status == "applied" and placement.applied_generation == app.generation


def test_a_cluster_error_fails_the_app_in_words(sim, space, dev, run):
    sim["wl-test"].set_faults(refuse_connections=True)
    try:
        app = run(
            services.do_create_app,
            space,
            name="web",
            spec=service_spec(),
            actor=Actor.for_user(dev),
        )
    finally:
        sim["wl-test"].clear_faults()
    app.refresh_from_db()
    assert app.status == AppStatus.FAILED
    assert app.status_message.startswith("Cluster wl-test: ")
    assert app.placements.get().status == "failed"
    assert AuditEvent.objects.filter(action="app.apply", target_id=str(app.pk),
                                     outcome="failed").exists()  # fmt: skip
