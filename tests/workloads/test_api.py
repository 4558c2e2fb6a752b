"""The apps API: refusals first (anonymous, outsider 404, viewer 403), then the work;
bad input is a 400 naming the field, with nothing sent to any cluster."""

import pytest
import yaml

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.spaces.choices import SpaceRole
from apps.workloads import services
from apps.workloads.models import App
from tests.conftest import api_as
from tests.workloads.conftest import IMAGE, apps_api, ready_pods, service_spec, wait_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/apps/"


@pytest.fixture
def app(space, dev, run):
    return run(
        services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev)
    )


def test_anonymous_is_refused(api, app):
    assert api.get(BASE).status_code in (401, 403)
    assert api.post(
        f"{BASE}{app.space.slug}/web/scale/", {"replicas": 2}, format="json"
    ).status_code in (401, 403)


def test_outsider_gets_404(charlie, app):
    client = api_as(charlie)
    assert client.get(BASE).json()["results"] == []
    assert client.get(f"{BASE}{app.space.slug}/web/").status_code == 404
    response = client.post(f"{BASE}{app.space.slug}/web/scale/", {"replicas": 2}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    body = {"space": app.space.slug, "name": "other", "spec": service_spec()}
    assert client.post(BASE, body, format="json").status_code == 404


def test_viewer_reads_but_gets_403_on_changes(viewer, app, run):
    client = api_as(viewer)
    assert client.get(f"{BASE}{app.space.slug}/web/").json()["spec"]["image"] == IMAGE
    assert client.get(f"{BASE}{app.space.slug}/web/status/").status_code == 200
    for path, body in (("scale/", {"replicas": 2}), ("pause/", {}), ("restart/", {}),
                       ("canary/", {"weight": 10})):  # fmt: skip
        response = client.post(f"{BASE}{app.space.slug}/web/{path}", body, format="json")
        assert response.status_code == 403, path
        assert response.json()["code"] == "permission_denied"
    assert client.delete(f"{BASE}{app.space.slug}/web/").status_code == 403
    denied = AuditEvent.objects.filter(outcome="denied", actor_name="vera")
    assert set(denied.values_list("action", flat=True)) == {"app.scale", "app.pause", "app.restart",
                                                             "app.canary", "app.delete"}  # fmt: skip
    assert App.objects.get(pk=app.pk).replicas == 1


def test_production_apps_only_by_members_of_the_production_space(
    make_space, dev, run, django_user_model
):
    from tests.conftest import make_user

    prod = make_space("prod", ("wl-prod",), members={dev: SpaceRole.DEVELOPER})
    other_dev = make_user(django_user_model, "otto")
    make_space(members={other_dev: SpaceRole.OWNER})  # otto owns a test space, not the prod one
    run(services.do_create_app, prod, name="pay", spec=service_spec(), actor=Actor.for_user(dev))
    response = api_as(other_dev).post(
        f"{BASE}{prod.slug}/pay/scale/", {"replicas": 2}, format="json"
    )
    assert response.status_code == 404
    assert (
        api_as(dev)
        .post(f"{BASE}{prod.slug}/pay/scale/", {"replicas": 2}, format="json")
        .status_code
        == 200
    )


@pytest.mark.parametrize(
    ("spec_change", "field"),
    [
        ({"image": "nginx"}, "image"),
        ({"cpu_limit": "2 cores"}, "cpu_limit"),
        ({"memory_limit": "1gb"}, "memory_limit"),
        ({"ports": [{"port": 0}]}, "ports"),
        ({"kind": "cronjob", "schedule": "61 * * * *"}, "schedule"),
        ({"log_files": ["app/../../etc/passwd"]}, "log_files"),
        ({"log_files": ["/var/log/app.log"]}, "log_files"),
    ],
)
def test_bad_spec_is_400_naming_the_field_and_nothing_sent(
    sim, space, dev, spec_change, field, run
):
    body = {"space": space.slug, "name": "web", "spec": service_spec(**spec_change)}
    response = api_as(dev).post(BASE, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert response.json()["code"] == "invalid"
    assert not App.objects.exists() and not run.queued
    assert not apps_api(sim, "wl-test").list_namespaced_deployment(space.namespace).items


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Web_1"}, "name"),
        ({"replicas": 101}, "replicas"),
        ({"placement": [{"cluster": "wl-test", "weight": 101}]}, "placement"),
        ({"placement": [{"cluster": "wl-prod", "weight": 1}]}, "placement"),
        ({"replicas": 40, "spec": service_spec(cpu_limit="1")}, "replicas"),  # quota: 16 CPU
        ({"spec": service_spec(memory_limit="64Gi")}, "memory_limit"),
    ],
)
def test_bad_create_is_400_naming_the_field(space, dev, body, field, run):
    data = {"space": space.slug, "name": "web", "spec": service_spec(), **body}
    response = api_as(dev).post(BASE, data, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    assert not App.objects.exists() and not run.queued


def test_bad_weight_and_taken_clone_name(app, dev, run):
    client = api_as(dev)
    url = f"{BASE}{app.space.slug}/web/"
    run(
        services.do_create_app,
        app.space,
        name="taken",
        spec=service_spec(),
        actor=Actor.for_user(dev),
    )
    response = client.post(f"{url}clone/", {"name": "taken"}, format="json")
    assert response.status_code == 400 and "name" in response.json()["fields"]
    response = client.post(f"{url}canary/", {"weight": 120}, format="json")
    assert response.status_code == 400 and "weight" in response.json()["fields"]
    response = client.post(f"{url}canary/", {"weight": 20, "spec": {"image": "bad"}}, format="json")
    assert response.status_code == 400 and "image" in response.json()["fields"]


def test_developer_full_cycle_through_the_api(sim, space, dev, run):
    client = api_as(dev)
    body = {
        "space": space.slug,
        "name": "api",
        "spec": service_spec(),
        "replicas": 1,
        "message": "first",
    }
    response = run(client.post, BASE, body, format="json")
    assert response.status_code == 201, response.json()
    assert (
        response.json()["revision"] == 1 and response.json()["placement"][0]["cluster"] == "wl-test"
    )
    url = f"{BASE}{space.slug}/api/"
    assert run(client.post, f"{url}scale/", {"replicas": 2}, format="json").json()["replicas"] == 2
    wait_for(lambda: len(ready_pods(sim, "wl-test", space.namespace, "api")) == 2)
    status = client.get(f"{url}status/").json()
    assert status["summary"]["ready"] == 2 and len(status["pods"]) == 2
    assert {"phase", "ready", "restarts", "node", "ip", "age_seconds"} <= set(status["pods"][0])

    edited = run(
        client.patch,
        url,
        {"spec": {"image": "harbor.k2.test/shop/web:2.0"}, "message": "v2"},
        format="json",
    )
    assert edited.json()["revision"] == 2
    revisions = client.get(f"{url}revisions/").json()["results"]
    assert [(r["number"], r["message"], r["author"]) for r in revisions] == [
        (2, "v2", "devon"),
        (1, "first", "devon"),
    ]
    diff = client.get(f"{url}diff/", {"from": 1, "to": 2}).json()["diff"]
    assert (
        "-image: harbor.k2.test/shop/web:1.0" in diff
        and "+image: harbor.k2.test/shop/web:2.0" in diff
    )
    assert (
        run(client.post, f"{url}rollback/", {"revision": 1}, format="json").json()["revision"] == 3
    )

    exported = client.get(f"{url}export/")
    assert exported["Content-Type"].startswith("application/yaml")
    kinds = [d["kind"] for d in yaml.safe_load_all(exported.content)]
    assert kinds == ["ConfigMap", "Service", "Deployment", "Ingress"]

    assert run(client.delete, url).status_code == 202
    assert not App.objects.filter(name="api").exists()


def test_schema_lists_the_apps_endpoints(admin_user):
    response = api_as(admin_user).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/apps/{space}/{name}/canary/promote/" in text


def test_platform_admin_changes_test_apps_but_not_production_ones_without_membership(
    make_space, dev, admin_user, run
):
    test_space = make_space(members={dev: SpaceRole.DEVELOPER})
    prod = make_space("prod", ("wl-prod",), members={dev: SpaceRole.DEVELOPER})
    for sp in (test_space, prod):
        run(services.do_create_app, sp, name="web", spec=service_spec(), actor=Actor.for_user(dev))
    client = api_as(admin_user)
    assert client.get(f"{BASE}{prod.slug}/web/").status_code == 200
    assert run(client.post, f"{BASE}{test_space.slug}/web/restart/").status_code == 200
    response = client.post(f"{BASE}{prod.slug}/web/restart/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        action="app.restart", outcome="denied", actor_name="root"
    ).exists()


def test_clone_from_test_into_production_needs_membership_there(make_space, space, dev, run):
    prod = make_space("prod", ("wl-prod",))  # devon is not a member
    run(services.do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev))
    response = api_as(dev).post(
        f"{BASE}{space.slug}/web/clone/", {"name": "web", "target_space": prod.slug}, format="json"
    )
    assert response.status_code == 400 and "target_space" in response.json()["fields"]
    assert not App.objects.filter(space=prod).exists()


def test_canary_only_for_services(space, dev, run):
    spec = {"kind": "cronjob", "image": IMAGE, "schedule": "@daily"}
    run(services.do_create_app, space, name="nightly", spec=spec, actor=Actor.for_user(dev))
    response = api_as(dev).post(
        f"{BASE}{space.slug}/nightly/canary/", {"weight": 10}, format="json"
    )
    assert response.status_code == 400 and "canary" in response.json()["fields"]
