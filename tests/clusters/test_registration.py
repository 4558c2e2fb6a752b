"""Registering clusters the three ways (service via portal, API, CLI), and every bad input
refused with a message that names the problem, nothing saved."""

import io

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.clusters.models import Cluster, ClusterPolicy
from tests.clusters.conftest import kubeconfig_for, register
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def test_api_registration_checks_the_cluster_and_saves_it(
    sim, admin_user, django_capture_on_commit_callbacks
):
    handle = sim["test"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_as(admin_user).post(
            "/api/v1/clusters/",
            {"name": "test", "environment": "test", "kubeconfig": kubeconfig_for(handle),
             "display_name": "Test cluster", "region": "cn-north", "labels": {"team": "infra"}},
            format="json",
        )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "test" and body["kubernetes_version"].startswith("v1.")
    assert body["api_url"] == handle.url and body["labels"] == {"team": "infra"}
    assert "token" not in str(body) and "credentials" not in body
    assert body["policy"]["memory_overcommit"] == "2.00"
    cluster = Cluster.objects.get(name="test")
    assert cluster.get_credentials().token == handle.admin_token
    assert len(callbacks) == 1  # the first probe is queued on commit
    event = AuditEvent.objects.get(action="cluster.register")
    assert event.actor_name == "root" and event.cluster_id == "test"
    assert handle.admin_token not in str(event.changes)


def test_portal_registration_uploads_a_kubeconfig(sim, admin_user, client):
    handle = sim["prod"]
    client.force_login(admin_user)
    upload = io.BytesIO(kubeconfig_for(handle).encode())
    upload.name = "kubeconfig"
    response = client.post(
        "/clusters/register/",
        {"kubeconfig_file": upload, "name": "prod", "environment": "prod", "context": "prod"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/clusters/prod/"
    cluster = Cluster.objects.get(name="prod")
    assert cluster.environment == "prod" and cluster.verify_tls
    assert ClusterPolicy.objects.get(cluster=cluster).terminal_allowed is False


def test_portal_lists_the_contexts_of_an_upload(sim, admin_user, client):
    client.force_login(admin_user)
    response = client.post(
        "/clusters/register/contexts/", {"kubeconfig_text": kubeconfig_for(sim["ml"])}
    )
    assert response.status_code == 200
    assert '<option value="ml" selected>ml</option>' in response.content.decode()


def test_cli_registration_and_its_idempotent_update(sim, db, tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(kubeconfig_for(sim["ml"]))
    out = io.StringIO()
    call_command(
        "register_cluster", "--kubeconfig", str(path), "--name", "ml", "--env", "ml", stdout=out
    )
    assert "cluster ml (ml) registered" in out.getvalue()
    with pytest.raises(CommandError, match="A cluster named ml is already registered."):
        call_command("register_cluster", "--kubeconfig", str(path), "--name", "ml", "--env", "ml")
    call_command("register_cluster", "--kubeconfig", str(path), "--name", "ml", "--env", "ml",
                 "--update-existing", "--region", "lab", stdout=io.StringIO())  # fmt: skip
    assert Cluster.objects.get(name="ml").region == "lab"
    assert Cluster.objects.count() == 1
    # Moving to another environment starts over from that environment's policy.
    call_command("register_cluster", "--kubeconfig", str(path), "--name", "ml", "--env", "prod",
                 "--update-existing", stdout=io.StringIO())  # fmt: skip
    cluster = Cluster.objects.get(name="ml")
    assert cluster.environment == "prod" and str(cluster.policy.memory_overcommit) == "1.00"
    assert cluster.policy.terminal_allowed is False and cluster.health == "ready"
    event = AuditEvent.objects.filter(action="cluster.register").get()
    assert event.actor_type == "system" and event.actor_name == "manage.py register_cluster"


def test_cli_embeds_the_files_k2sim_kubeconfigs_point_at(sim, db):
    """k2sim writes certificate-authority paths; --embed-files inlines them (CLI only)."""
    with pytest.raises(CommandError, match="points at a local file"):
        call_command("register_cluster", "--kubeconfig", str(sim["test"].kubeconfig_path),
                     "--name", "test", "--env", "test")  # fmt: skip
    call_command("register_cluster", "--kubeconfig", str(sim["test"].kubeconfig_path),
                 "--name", "test", "--env", "test", "--embed-files", stdout=io.StringIO())  # fmt: skip
    assert Cluster.objects.filter(name="test").exists()


def _bad(sim, case):
    handle = sim["test"]
    other_ca = sim.state_dir / "other-ca.pem"
    if case == "unreachable":
        return kubeconfig_for(
            handle, server="https://127.0.0.1:9"
        ), "Cannot connect to https://127.0.0.1:9: connection refused"
    if case == "wrong CA":
        if not other_ca.exists():
            from k2sim import pki

            crt, _key = pki.ensure_ca(sim.state_dir / "elsewhere")
            other_ca.write_text(crt.read_text())
        return kubeconfig_for(handle, ca_pem=other_ca.read_text()), "TLS verification of"
    if case == "expired token":
        return kubeconfig_for(
            handle, token="admin.expired0000"
        ), "The cluster rejected the credentials (401 Unauthorized)"
    if case == "missing permission":
        return kubeconfig_for(
            handle, token=handle.readonly_token
        ), "These credentials may not create namespaces"
    if case == "not a kubeconfig":
        return "<html>hello</html>", "This file is not a kubeconfig"
    if case == "exec plugin":
        return kubeconfig_for(handle, user={"exec": {"command": "/bin/sh"}}), "uses an exec plugin"
    if case == "file reference":
        return kubeconfig_for(
            handle, user={"tokenFile": "/etc/passwd"}
        ), "points at a local file (tokenFile)"
    raise AssertionError(case)


BAD_CASES = ["unreachable", "wrong CA", "expired token", "missing permission", "not a kubeconfig",
             "exec plugin", "file reference"]  # fmt: skip


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_kubeconfigs_are_refused_with_their_message(sim, admin_user, case):
    text, message = _bad(sim, case)
    response = api_as(admin_user).post(
        "/api/v1/clusters/",
        {"name": "bad", "environment": "test", "kubeconfig": text},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert message in body["fields"]["kubeconfig"][0], body
    assert message in body["message"]
    assert not Cluster.objects.exists()


def test_duplicate_name_is_refused(sim, admin_user):
    register(sim["test"])
    response = api_as(admin_user).post(
        "/api/v1/clusters/",
        {"name": "test", "environment": "test", "kubeconfig": kubeconfig_for(sim["prod"])},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"name": ["A cluster named test is already registered."]}
    assert Cluster.objects.get().api_url == sim["test"].url


def test_bad_input_in_the_portal_form_is_shown_beside_the_file(sim, admin_user, client):
    client.force_login(admin_user)
    text, message = _bad(sim, "missing permission")
    response = client.post(
        "/clusters/register/", {"kubeconfig_text": text, "name": "x", "environment": "test"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Cluster.objects.exists()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_skip_in_a_kubeconfig_needs_the_admins_explicit_choice(sim, db):
    handle = sim["test"]
    doc = yaml.safe_load(kubeconfig_for(handle))
    doc["clusters"][0]["cluster"] = {"server": handle.url, "insecure-skip-tls-verify": True}
    with pytest.raises(ValidationError, match="turns TLS verification off"):
        register(handle, kubeconfig=yaml.safe_dump(doc))
    cluster = register(handle, kubeconfig=yaml.safe_dump(doc), verify_tls=False)
    assert cluster.verify_tls is False


def test_token_and_ca_registration(sim, admin_user):
    handle = sim["ml"]
    response = api_as(admin_user).post(
        "/api/v1/clusters/",
        {"name": "ml", "environment": "ml", "api_url": handle.url, "token": handle.admin_token,
         "ca_data": handle.ca_path.read_text()},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert Cluster.objects.get(name="ml").get_credentials().ca_data.startswith("-----BEGIN")
