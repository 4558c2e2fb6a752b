"""Stateful apps, jobs, cron jobs, canaries, clones, multi-cluster placement, export and
adoption against k2sim."""

import subprocess

import pytest
from kubernetes import client as k8s

from apps.audit.actors import Actor
from apps.spaces.choices import SpaceRole
from apps.workloads import services
from apps.workloads.choices import AppStatus
from apps.workloads.models import App
from apps.workloads.selectors import export_yaml
from apps.workloads.status import read_status
from tests.workloads.conftest import IMAGE, apps_api, core_api, ready_pods, service_spec, wait_for

pytestmark = pytest.mark.django_db


def test_stateful_app_gets_ordinal_pods(sim, space, dev, run):
    spec = service_spec(
        kind="stateful", ingress=None, storage={"size": "2Gi", "mount_path": "/var/lib/db"}
    )
    run(services.do_create_app, space, name="db", spec=spec, replicas=2, actor=Actor.for_user(dev))
    ns = space.namespace
    sts = apps_api(sim, "wl-test").read_namespaced_stateful_set("db", ns)
    assert sts.spec.service_name == "db-headless"
    assert sts.spec.volume_claim_templates[0].spec.resources.requests == {"storage": "2Gi"}
    assert (
        core_api(sim, "wl-test").read_namespaced_service("db-headless", ns).spec.cluster_ip
        == "None"
    )
    pods = wait_for(
        lambda: (
            len(ready_pods(sim, "wl-test", ns, "db")) == 2 and ready_pods(sim, "wl-test", ns, "db")
        )
    )
    assert sorted(p.metadata.name for p in pods) == ["db-0", "db-1"]


def test_job_runs_to_completion(sim, space, dev, run):
    spec = {
        "kind": "job",
        "image": IMAGE,
        "command": ["/bin/migrate"],
        "cpu_limit": "200m",
        "memory_limit": "256Mi",
    }
    app = run(services.do_create_app, space, name="migrate", spec=spec, actor=Actor.for_user(dev))
    batch = k8s.BatchV1Api(sim["wl-test"].api_client())
    wait_for(
        lambda: (batch.read_namespaced_job("migrate", space.namespace).status.succeeded or 0) >= 1
    )
    assert read_status(App.objects.get(pk=app.pk), fresh=True)["phase"] == AppStatus.COMPLETED


def test_cronjob_is_scheduled_and_pause_suspends_it(sim, space, dev, run):
    spec = {"kind": "cronjob", "image": IMAGE, "schedule": "*/5 * * * *"}
    app = run(services.do_create_app, space, name="report", spec=spec, actor=Actor.for_user(dev))
    batch = k8s.BatchV1Api(sim["wl-test"].api_client())
    cron = batch.read_namespaced_cron_job("report", space.namespace)
    assert cron.spec.schedule == "*/5 * * * *" and cron.spec.suspend is False
    run(services.do_pause_app, app, actor=Actor.for_user(dev))
    assert batch.read_namespaced_cron_job("report", space.namespace).spec.suspend is True


def test_canary_weight_promote_and_abort(sim, space, dev, run):
    app = run(
        services.do_create_app,
        space,
        name="web",
        spec=service_spec(),
        replicas=2,
        actor=Actor.for_user(dev),
    )
    ns = space.namespace
    networking = k8s.NetworkingV1Api(sim["wl-test"].api_client())
    run(
        services.do_start_canary,
        app,
        spec={"image": "harbor.k2.test/shop/web:2.0"},
        weight=20,
        actor=Actor.for_user(dev),
    )
    canary_ingress = networking.read_namespaced_ingress("web-canary", ns)
    assert canary_ingress.metadata.annotations["nginx.ingress.kubernetes.io/canary"] == "true"
    assert canary_ingress.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"] == "20"
    assert (
        canary_ingress.spec.rules[0].host
        == networking.read_namespaced_ingress("web", ns).spec.rules[0].host
    )
    wait_for(lambda: ready_pods(sim, "wl-test", ns, "web", track="canary"))
    assert (
        core_api(sim, "wl-test")
        .read_namespaced_service("web", ns)
        .spec.selector["k2cloud.io/track"]
        == "stable"
    )

    run(services.do_set_canary_weight, App.objects.get(pk=app.pk), 50, actor=Actor.for_user(dev))
    annotations = networking.read_namespaced_ingress("web-canary", ns).metadata.annotations
    assert annotations["nginx.ingress.kubernetes.io/canary-weight"] == "50"

    run(services.do_promote_canary, App.objects.get(pk=app.pk), actor=Actor.for_user(dev))
    deployments = apps_api(sim, "wl-test").list_namespaced_deployment(ns).items
    assert [d.metadata.name for d in deployments] == ["web"]
    assert deployments[0].spec.template.spec.containers[0].image.endswith("web:2.0")
    assert [i.metadata.name for i in networking.list_namespaced_ingress(ns).items] == ["web"]
    app.refresh_from_db()
    assert app.revision.number == 2 and app.canary_revision is None

    run(
        services.do_start_canary,
        app,
        spec={"image": "harbor.k2.test/shop/web:3.0"},
        weight=5,
        actor=Actor.for_user(dev),
    )
    run(services.do_abort_canary, App.objects.get(pk=app.pk), actor=Actor.for_user(dev))
    deployments = apps_api(sim, "wl-test").list_namespaced_deployment(ns).items
    assert [
        (d.metadata.name, d.spec.template.spec.containers[0].image[-3:]) for d in deployments
    ] == [("web", "2.0")]


def test_clone_into_space_on_another_cluster(sim, make_space, space, dev, run):
    other = make_space(cluster_names=("wl-test2",), members={dev: SpaceRole.DEVELOPER})
    app = run(
        services.do_create_app,
        space,
        name="web",
        spec=service_spec(),
        replicas=2,
        actor=Actor.for_user(dev),
    )
    clone = run(
        services.do_clone_app, app, target_space=other, name="web-copy", actor=Actor.for_user(dev)
    )
    assert clone.space == other and clone.replicas == 2
    assert clone.revision.spec == app.revision.spec and clone.revision.pk != app.revision.pk
    assert [p.cluster.name for p in clone.placements.all()] == ["wl-test2"]
    wait_for(lambda: len(ready_pods(sim, "wl-test2", other.namespace, "web-copy")) == 2)
    data = (
        core_api(sim, "wl-test2")
        .read_namespaced_config_map("web-copy-config", other.namespace)
        .data
    )
    assert data == {"application.yml": "greeting: hello\n"}
    # The copy is not shared: editing the clone leaves the original alone.
    run(services.do_edit_app, clone, spec={"config_files": []}, actor=Actor.for_user(dev))
    app.refresh_from_db()
    assert app.revision.spec["config_files"]


def test_two_clusters_with_weights_2_to_1(sim, make_space, dev, run):
    sp = make_space(cluster_names=("wl-test", "wl-test2"), members={dev: SpaceRole.DEVELOPER})
    placement = [{"cluster": "wl-test", "weight": 2}, {"cluster": "wl-test2", "weight": 1}]
    app = run(services.do_create_app, sp, name="web", spec=service_spec(), replicas=3, placement=placement,
              actor=Actor.for_user(dev))  # fmt: skip
    wait_for(lambda: len(ready_pods(sim, "wl-test", sp.namespace, "web")) == 2)
    wait_for(lambda: len(ready_pods(sim, "wl-test2", sp.namespace, "web")) == 1)
    status = read_status(App.objects.get(pk=app.pk), fresh=True)
    assert {c["cluster"]: c["ready"] for c in status["clusters"]} == {"wl-test": 2, "wl-test2": 1}

    # Moving it to one cluster removes it from the other.
    run(
        services.do_set_placement,
        App.objects.get(pk=app.pk),
        [{"cluster": "wl-test", "weight": 1}],
        actor=Actor.for_user(dev),
    )
    assert not apps_api(sim, "wl-test2").list_namespaced_deployment(sp.namespace).items
    assert (
        apps_api(sim, "wl-test").read_namespaced_deployment("web", sp.namespace).spec.replicas == 3
    )


def test_export_yaml_applies_with_kubectl_to_an_empty_namespace(sim, space, dev, run, tmp_path):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    target = "export-target"
    core_api(sim, "wl-test2").create_namespace(
        k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=target))
    )
    path = tmp_path / "web.yaml"
    path.write_text(export_yaml(app, namespace=target))
    assert path.read_text().count("\n---\n") == 3  # ConfigMap, Service, Deployment, Ingress
    result = subprocess.run(
        ["kubectl", "--kubeconfig", str(sim["wl-test2"].kubeconfig_path), "apply", "-f", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "deployment.apps/web created" in result.stdout
    wait_for(lambda: ready_pods(sim, "wl-test2", target, "web"))


def test_adopt_existing_deployment(sim, space, dev, run):
    ns = space.namespace
    labels = {"app": "legacy"}
    apps_api(sim, "wl-test").create_namespaced_deployment(
        ns,
        k8s.V1Deployment(
            metadata=k8s.V1ObjectMeta(name="legacy", labels=labels),
            spec=k8s.V1DeploymentSpec(
                replicas=2,
                selector=k8s.V1LabelSelector(match_labels=labels),
                template=k8s.V1PodTemplateSpec(
                    metadata=k8s.V1ObjectMeta(labels=labels),
                    spec=k8s.V1PodSpec(containers=[k8s.V1Container(
                        name="main", image="harbor.k2.test/legacy/app:7",
                        ports=[k8s.V1ContainerPort(container_port=9000)],
                        env=[k8s.V1EnvVar(name="MODE", value="old")],
                        resources=k8s.V1ResourceRequirements(limits={"cpu": "1", "memory": "1Gi"}),
                    )]),
                ),
            ),
        ),
    )  # fmt: skip
    app = run(services.do_adopt_deployment, space, deployment="legacy", actor=Actor.for_user(dev))
    spec = app.revision.spec
    assert spec["image"] == "harbor.k2.test/legacy/app:7" and app.replicas == 2
    assert spec["ports"][0]["port"] == 9000 and spec["env"] == [{"name": "MODE", "value": "old"}]
    adopted = apps_api(sim, "wl-test").read_namespaced_deployment("legacy", ns)
    assert adopted.metadata.labels["app.kubernetes.io/managed-by"] == "k2cloud"
    assert adopted.spec.selector.match_labels == labels
    assert [c.name for c in adopted.spec.template.spec.containers] == ["main"]
    assert adopted.spec.template.spec.containers[0].resources.requests == {
        "cpu": "250m",
        "memory": "512Mi",
    }
    wait_for(lambda: len(ready_pods(sim, "wl-test", ns, "legacy")) == 2)


def test_changed_job_is_replaced_and_runs_again(sim, space, dev, run):
    spec = {"kind": "job", "image": IMAGE, "command": ["/bin/migrate"]}
    app = run(services.do_create_app, space, name="migrate", spec=spec, actor=Actor.for_user(dev))
    batch = k8s.BatchV1Api(sim["wl-test"].api_client())
    wait_for(
        lambda: (batch.read_namespaced_job("migrate", space.namespace).status.succeeded or 0) >= 1
    )
    run(
        services.do_edit_app,
        app,
        spec={"image": "harbor.k2.test/shop/web:2.0"},
        actor=Actor.for_user(dev),
    )
    job = batch.read_namespaced_job("migrate", space.namespace)
    assert job.spec.template.spec.containers[0].image.endswith(":2.0")
    app.refresh_from_db()
    assert app.status != AppStatus.FAILED, app.status_message
    wait_for(
        lambda: (batch.read_namespaced_job("migrate", space.namespace).status.succeeded or 0) >= 1
    )
