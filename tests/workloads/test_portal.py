"""Portal pages: list, create form (with inline validation), detail tabs, live status
fragment, actions; refusals for viewers (403) and outsiders (404)."""

import pytest

from apps.audit.actors import Actor
from apps.workloads import services
from apps.workloads.models import App
from tests.workloads.conftest import IMAGE, ready_pods, service_spec, wait_for

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "shop-web", "kind": "service", "image": IMAGE, "replicas": "1", "ports": "http 8080",
        "cpu_limit": "500m", "memory_limit": "512Mi", "config_mount_path": "/config",
        "java_heap_percent": "75", "share_process_namespace": "on", "weight_wl-test": "1",
        "config_1_name": "app.yml", "config_1_content": "a: 1\n", "env": "A=1\nB=two",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_list_pages(client, space, dev, run):
    run(services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev))
    client.force_login(dev)
    page = client.get("/apps/")
    assert page.status_code == 200 and b'data-app="web"' in page.content
    page = client.get(f"/apps/{space.slug}/", {"q": "nomatch"})
    assert b"No apps yet" in page.content
    assert (
        client.get(f"/apps/{space.slug}/", {"kind": "service"}).content.count(
            b'data-testid="app-row"'
        )
        == 1
    )


def test_create_through_the_form(client, sim, space, dev, run):
    client.force_login(dev)
    assert client.get(f"/apps/{space.slug}/new/").status_code == 200
    data = form_data(log_files="app.log\n gc/*.log \n", stdout_logging="on")
    response = run(client.post, f"/apps/{space.slug}/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    app = App.objects.get(name="shop-web")
    spec = app.revision.spec
    assert spec["log_files"] == ["app.log", "gc/*.log"] and spec["stdout_logging"] is True
    assert spec["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "two"}]
    assert spec["config_files"] == [{"name": "app.yml", "content": "a: 1\n"}]
    assert spec["ports"][0] == {"name": "http", "port": 8080, "protocol": "TCP", "expose": True}
    wait_for(lambda: ready_pods(sim, "wl-test", space.namespace, "shop-web"))
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and IMAGE.encode() in detail.content
    where = detail.content.decode()
    assert f"/log-dir/k2-logs/{space.namespace}/shop-web/" in where
    assert "gc/*.log" in where and "k2-filebeat-inputs" in where
    fragment = client.get(f"/apps/{space.slug}/shop-web/status/")
    assert b"1/1 ready" in fragment.content
    for tab in ("pods", "events", "revisions", "yaml"):
        assert client.get(response["Location"], {"tab": tab}).status_code == 200
    assert b"kind: Deployment" in client.get(f"/apps/{space.slug}/shop-web/export.yaml").content


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("image", "nginx", b"is not an image reference"), ("cpu_limit", "fast", b"is not a CPU quantity"),
     ("memory_limit", "1GB", b"is not a memory quantity"), ("ports", "http 99999", b"not a port"),
     ("name", "Bad_Name", b"Use lowercase letters"),
     ("log_files", "app.log\n../etc/app.log", b"would leave the log directory")],
)  # fmt: skip
def test_form_shows_errors_inline(client, space, dev, field, value, message, run):
    client.force_login(dev)
    response = run(client.post, f"/apps/{space.slug}/new/", form_data(**{field: value}))
    assert response.status_code == 200
    assert (
        f'data-testid="error-{field}"'.encode() in response.content and message in response.content
    )
    assert not App.objects.exists()
    live = client.post(
        f"/apps/{space.slug}/validate/", {**form_data(**{field: value}), "_field": field}
    )
    assert message in live.content


def test_cron_schedule_validated_inline(client, space, dev):
    client.force_login(dev)
    data = {**form_data(kind="cronjob", schedule="every day"), "_field": "schedule"}
    assert b"five fields" in client.post(f"/apps/{space.slug}/validate/", data).content


def test_quota_error_from_the_service_lands_on_the_field(client, space, dev, run):
    client.force_login(dev)
    response = run(client.post, f"/apps/{space.slug}/new/", form_data(memory_limit="64Gi"))
    assert b'data-testid="error-memory_limit"' in response.content
    assert b"quota" in response.content


def test_actions_and_edit(client, sim, space, dev, run):
    app = run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )
    client.force_login(dev)
    base = f"/apps/{space.slug}/web/"
    run(client.post, f"{base}do/scale/", {"replicas": "2"})
    assert App.objects.get(pk=app.pk).replicas == 2
    run(client.post, f"{base}do/canary/", {"image": "harbor.k2.test/shop/web:2.0", "weight": "30"})
    assert App.objects.get(pk=app.pk).canary_weight == 30
    run(client.post, f"{base}do/canary-promote/")
    assert App.objects.get(pk=app.pk).revision.spec["image"].endswith(":2.0")
    edit = client.get(f"{base}edit/")
    assert edit.status_code == 200 and b"harbor.k2.test/shop/web:2.0" in edit.content
    data = form_data(image="harbor.k2.test/shop/web:3.0", message="three")
    response = run(client.post, f"{base}edit/", data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.revision.spec["image"].endswith(":3.0") and app.revision.message == "three"
    diff = client.get(base, {"tab": "revisions", "from": 2, "to": 3})
    assert b"+image: harbor.k2.test/shop/web:3.0" in diff.content
    run(client.post, f"{base}do/rollback/", {"revision": "1"})
    assert App.objects.get(pk=app.pk).revision.spec["image"] == IMAGE
    response = run(client.post, f"{base}do/clone/", {"name": "web-two", "target_space": space.slug})
    assert response["Location"] == f"/apps/{space.slug}/web-two/"
    run(client.post, f"{base}do/delete/")
    assert not App.objects.filter(pk=app.pk).exists()


def test_viewer_403_and_outsider_404(client, space, dev, viewer, charlie, run):
    run(services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev))
    client.force_login(viewer)
    assert client.get(f"/apps/{space.slug}/web/").status_code == 200
    assert client.get(f"/apps/{space.slug}/new/").status_code == 403
    assert client.get(f"/apps/{space.slug}/web/edit/").status_code == 403
    client.post(f"/apps/{space.slug}/web/do/scale/", {"replicas": "3"})
    assert App.objects.get(name="web").replicas == 1
    client.force_login(charlie)
    assert client.get(f"/apps/{space.slug}/web/").status_code == 404
    assert client.post(f"/apps/{space.slug}/web/do/scale/", {"replicas": "3"}).status_code == 404
    assert client.get(f"/apps/{space.slug}/").status_code == 404


def test_list_pages_cost_a_constant_number_of_queries(client, space, dev):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import api_as

    def counts():
        client.force_login(dev)
        with CaptureQueriesContext(connection) as portal:
            assert client.get(f"/apps/{space.slug}/").status_code == 200
        with CaptureQueriesContext(connection) as api:
            assert api_as(dev).get("/api/v1/apps/", {"space": space.slug}).status_code == 200
        return len(portal), len(api)

    # Not applied anywhere: on-commit work never runs in this test's transaction.
    services.do_create_app(space, name="app-0", spec=service_spec(), actor=Actor.for_user(dev))
    few = counts()
    for i in range(1, 8):
        services.do_create_app(
            space, name=f"app-{i}", spec=service_spec(), actor=Actor.for_user(dev)
        )
    assert counts() == few


def test_adopt_through_the_portal(client, sim, space, dev, run):
    from kubernetes import client as k8s

    from tests.workloads.conftest import apps_api

    labels = {"app": "old"}
    apps_api(sim, "wl-test").create_namespaced_deployment(
        space.namespace,
        k8s.V1Deployment(
            metadata=k8s.V1ObjectMeta(name="old"),
            spec=k8s.V1DeploymentSpec(
                selector=k8s.V1LabelSelector(match_labels=labels),
                template=k8s.V1PodTemplateSpec(
                    metadata=k8s.V1ObjectMeta(labels=labels),
                    spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="c", image=IMAGE)]),
                ),
            ),
        ),
    )
    client.force_login(dev)
    page = client.get(f"/apps/{space.slug}/").content.decode()
    assert page.count('data-testid="adopt-panel"') == 1  # once, in the page body
    title = page.split("<title>")[1].split("</title>")[0]
    assert "<" not in title and f"Apps of {space.slug}" in title
    response = run(client.post, f"/apps/{space.slug}/adopt/", {"deployment": "old"})
    assert response["Location"] == f"/apps/{space.slug}/old/"
    assert App.objects.get(name="old").revision.spec["selector"] == labels
    response = client.post(f"/apps/{space.slug}/adopt/", {"deployment": "missing"}, follow=True)
    assert b"There is no Deployment missing" in response.content
