"""Only platform admins register or change clusters (API and portal); others with a role
see a read-only summary; outsiders see nothing. Policy edits are audited before/after."""

import pytest

from apps.audit.models import AuditEvent
from apps.clusters.models import Cluster
from apps.clusters.services import do_probe_cluster
from tests.clusters.conftest import kubeconfig_for, register
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_cluster(sim):
    cluster = register(sim["test"])
    do_probe_cluster(cluster)
    return cluster


def test_anonymous_and_outsiders_are_refused(sim, api, charlie, client):
    assert api.get("/api/v1/clusters/").status_code in (401, 403)
    assert api_as(charlie).get("/api/v1/clusters/").status_code == 403
    client.force_login(charlie)
    assert client.get("/clusters/").status_code == 403


@pytest.mark.parametrize("persona", ["alice", "bob", "dana", "charlie"])
def test_only_admins_register_through_the_api(sim, persona, request):
    user = request.getfixturevalue(persona)
    response = api_as(user).post(
        "/api/v1/clusters/",
        {"name": "test", "environment": "test", "kubeconfig": kubeconfig_for(sim["test"])},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["message"] == "Only platform admins register or change clusters."
    assert not Cluster.objects.exists()
    denied = AuditEvent.objects.get(action="cluster.register")
    assert denied.outcome == "denied" and denied.actor_name == user.username


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/v1/clusters/test/", {"region": "x"}),
        ("post", "/api/v1/clusters/test/cordon/", None),
        ("post", "/api/v1/clusters/test/disable/", None),
        ("post", "/api/v1/clusters/test/probe/", None),
        ("patch", "/api/v1/clusters/test/policy/", {"cpu_overcommit": "3"}),
        ("patch", "/api/v1/clusters/environments/test/", {"cpu_overcommit": "3"}),
    ],
)
def test_only_admins_change_clusters_through_the_api(test_cluster, alice, method, path, body):
    response = getattr(api_as(alice), method)(path, body, format="json")
    assert response.status_code == 403
    test_cluster.refresh_from_db()
    assert test_cluster.region == "" and not test_cluster.cordoned and test_cluster.enabled


def test_others_see_a_summary_without_connection_details(test_cluster, alice, sim):
    body = api_as(alice).get("/api/v1/clusters/").json()
    assert body["results"][0]["name"] == "test"
    assert body["results"][0]["state"] == "ready"
    assert "api_url" not in body["results"][0] and "nodes" not in body["results"][0]
    assert api_as(alice).get("/api/v1/clusters/test/probes/").status_code == 403


def test_cordoned_clusters_leave_the_summary(test_cluster, admin_user, alice):
    response = api_as(admin_user).post("/api/v1/clusters/test/cordon/")
    assert response.status_code == 200 and response.json()["state"] == "cordoned"
    assert api_as(alice).get("/api/v1/clusters/").json()["results"] == []
    assert AuditEvent.objects.filter(action="cluster.cordon", outcome="succeeded").count() == 1
    api_as(admin_user).post("/api/v1/clusters/test/cordon/")  # twice: no second event
    assert AuditEvent.objects.filter(action="cluster.cordon").count() == 1


def test_admin_edits_and_disables(test_cluster, admin_user):
    admin = api_as(admin_user)
    response = admin.patch(
        "/api/v1/clusters/test/", {"region": "cn-east", "labels": {"gpu": "no"}}, format="json"
    )
    assert response.status_code == 200 and response.json()["region"] == "cn-east"
    event = AuditEvent.objects.get(action="cluster.update")
    assert event.changes["region"] == {"before": "", "after": "cn-east"}
    assert admin.post("/api/v1/clusters/test/disable/").json()["state"] == "disabled"
    assert admin.post("/api/v1/clusters/test/enable/").json()["enabled"] is True
    assert admin.post("/api/v1/clusters/test/probe/").json()["health"] == "ready"


def test_policy_changes_are_validated_and_audited_with_before_and_after(sim, admin_user):
    register(sim["prod"], environment="prod")
    admin = api_as(admin_user)
    policy = admin.get("/api/v1/clusters/prod/policy/").json()
    assert policy["memory_overcommit"] == "1.00" and policy["terminal_allowed"] is False

    response = admin.patch(
        "/api/v1/clusters/prod/policy/", {"memory_overcommit": "2"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["memory_overcommit"] == [
        "Production memory is never overcommitted: the memory ratio must be 1."
    ]
    response = admin.patch(
        "/api/v1/clusters/prod/policy/", {"terminal_allowed": True}, format="json"
    )
    assert response.json()["message"] == "The web terminal is never allowed in production."

    response = admin.patch(
        "/api/v1/clusters/prod/policy/",
        {"cpu_overcommit": "3", "max_quota_cpu": "48"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    event = AuditEvent.objects.get(action="cluster.policy.update")
    assert event.changes["cpu_overcommit"] == {"before": "2.00", "after": "3.00"}
    assert event.changes["max_quota_cpu"] == {"before": "64", "after": "48"}
    assert event.changes["version"] == {"before": 1, "after": 2}


def test_environment_defaults_are_editable_and_used_by_new_clusters(sim, admin_user):
    admin = api_as(admin_user)
    response = admin.patch(
        "/api/v1/clusters/environments/test/", {"memory_overcommit": "1.5"}, format="json"
    )
    assert response.status_code == 200, response.json()
    register(sim["test"])
    assert admin.get("/api/v1/clusters/test/policy/").json()["memory_overcommit"] == "1.50"
    assert AuditEvent.objects.filter(action="cluster.environment_policy.update").exists()


# --- portal --------------------------------------------------------------------------------
def test_portal_pages_for_admins(test_cluster, admin_user, client):
    client.force_login(admin_user)
    page = client.get("/clusters/").content.decode()
    assert 'data-cluster="test"' in page and "v1." in page and 'data-state="ready"' in page
    page = client.get("/clusters/test/").content.decode()
    assert "test-node-1" in page and 'data-testid="policy-form"' in page
    assert 'data-testid="cluster-spaces-empty"' in page and 'data-testid="probe-table"' in page

    response = client.post("/clusters/test/cordon/")
    assert response.status_code == 302
    test_cluster.refresh_from_db()
    assert test_cluster.cordoned

    form = {"cpu_overcommit": "5", "memory_overcommit": "2", "default_quota_cpu": "4",
            "default_quota_memory": "8Gi", "max_quota_cpu": "16", "max_quota_memory": "32Gi",
            "default_lifetime_days": "14", "renewal_days": "7", "renewal_cap_days": "90",
            "terminal_allowed": "on"}  # fmt: skip
    assert client.post("/clusters/test/policy/", form).status_code == 302
    assert str(Cluster.objects.get(pk=test_cluster.pk).policy.cpu_overcommit) == "5.00"
    response = client.post("/clusters/test/policy/", {**form, "default_quota_cpu": "lots"})
    assert (
        response.status_code == 400
        and "Give a Kubernetes quantity such as 4 or 500m." in response.content.decode()
    )

    response = client.post(
        "/clusters/test/edit/", {"display_name": "Test", "region": "", "labels": "a=b"}
    )
    assert response.status_code == 302
    assert Cluster.objects.get(pk=test_cluster.pk).labels == {"a": "b"}


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_off_is_shown_as_a_warning(sim, admin_user, client):
    register(sim["test"], verify_tls=False)
    client.force_login(admin_user)
    assert 'data-testid="tls-warning"' in client.get("/clusters/test/").content.decode()
    assert "TLS not verified" in client.get("/clusters/").content.decode()


def test_portal_refuses_non_admins(test_cluster, alice, client):
    client.force_login(alice)
    page = client.get("/clusters/")
    assert page.status_code == 200 and 'data-testid="cluster-summary"' in page.content.decode()
    assert "Register cluster" not in page.content.decode()
    assert client.get("/clusters/register/").status_code == 403
    assert (
        client.post("/clusters/register/", {"name": "x", "environment": "test"}).status_code == 403
    )
    assert client.get("/clusters/test/").status_code == 403
    assert client.post("/clusters/test/cordon/").status_code == 403
    assert client.post("/clusters/test/policy/", {"cpu_overcommit": "9"}).status_code == 403
    test_cluster.refresh_from_db()
    assert not test_cluster.cordoned


def test_environment_defaults_page(admin_user, alice, client):
    client.force_login(alice)
    assert client.get("/clusters/environments/").status_code == 403
    assert client.post("/clusters/environments/test/", {"cpu_overcommit": "9"}).status_code == 403
    client.force_login(admin_user)
    page = client.get("/clusters/environments/").content.decode()
    assert 'data-testid="environment-prod"' in page
    form = {"cpu_overcommit": "3", "memory_overcommit": "2", "default_quota_cpu": "8",
            "default_quota_memory": "16Gi", "max_quota_cpu": "64", "max_quota_memory": "128Gi"}  # fmt: skip
    response = client.post("/clusters/environments/prod/", form)
    assert response.status_code == 400
    assert "Production memory is never overcommitted" in response.content.decode()
    response = client.post("/clusters/environments/prod/", {**form, "memory_overcommit": "1"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="cluster.environment_policy.update")
    assert event.changes["cpu_overcommit"] == {"before": "2.00", "after": "3.00"}


def test_api_and_portal_agree_on_a_cluster_requested_past_its_allocatable(
    test_cluster, admin_user, client
):
    """Requests beyond what is allocatable show as 100 % in the API and in the portal."""
    Cluster.objects.filter(pk=test_cluster.pk).update(
        cpu_requested_m=test_cluster.cpu_allocatable_m * 2,
        memory_requested=test_cluster.memory_allocatable // 2,
    )
    row = api_as(admin_user).get("/api/v1/clusters/test/").json()
    assert row["cpu_used_percent"] == 100 and row["memory_used_percent"] == 50
    client.force_login(admin_user)
    page = client.get("/clusters/test/").content.decode()
    assert 'aria-valuenow="100"' in page and 'aria-valuenow="50"' in page
