"""Log collection through the reconciler, against k2sim: an app's collection toggle reaches
its cluster's `k2-filebeat-inputs` ConfigMap in the one targeted reconcile its change
queues, off removes its input, deleting the app prunes it, and the environment's output
turned off prunes Filebeat itself."""

import contextlib

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from apps.audit.actors import Actor
from apps.clusters.services import do_update_log_output
from apps.reconciler.services import reconcile_app, run_pass
from apps.workloads.services import do_delete_app, do_edit_app
from tests.reconciler.conftest import apps_api, core

NS = "k2-system"
OUTPUT = {"type": "elasticsearch", "hosts": ["es.k2.test:9200"]}


@pytest.fixture
def logging_ns(sim):
    """The collection namespace on rc-a; Filebeat's objects are removed afterwards (the sim
    lives all session, and other tests' passes must not find them)."""
    api_client = sim["rc-a"].api_client()
    api = k8s.CoreV1Api(api_client)
    try:
        api.create_namespace({"metadata": {"name": NS}})
    except ApiException as exc:
        assert exc.status == 409
    yield
    rbac = k8s.RbacAuthorizationV1Api(api_client)
    for delete in (
        lambda: api.delete_namespaced_config_map("k2-filebeat-inputs", NS),
        lambda: api.delete_namespaced_config_map("k2-filebeat-config", NS),
        lambda: api.delete_namespaced_service_account("k2-filebeat", NS),
        lambda: k8s.AppsV1Api(api_client).delete_namespaced_daemon_set("k2-filebeat", NS),
        lambda: rbac.delete_cluster_role("k2-filebeat"),
        lambda: rbac.delete_cluster_role_binding("k2-filebeat"),
    ):
        with contextlib.suppress(ApiException):
            delete()


def _inputs(sim) -> dict:
    return core(sim, "rc-a").read_namespaced_config_map("k2-filebeat-inputs", NS).data or {}


@pytest.mark.django_db
def test_toggle_reaches_the_inputs_in_one_reconcile_and_deleting_the_app_prunes_it(
    clusters, sim, make_space, make_app, alice, admin_user, logging_ns, client
):
    space = make_space("rc-a")
    web = make_app(space, "web", log_files=["app.log"])
    quiet = make_app(space, "quiet")
    do_update_log_output("test", OUTPUT, actor=Actor.for_user(admin_user))
    row = run_pass(clusters["rc-a"].pk)
    assert not row.failures, (row.error, row.failures)
    key = f"{space.slug}.web.yml"
    assert set(_inputs(sim)) == {key}  # "quiet" collects nothing
    files = yaml.safe_load(_inputs(sim)[key])
    assert files[0]["paths"] == [f"/log-dir/k2-logs/{space.slug}/web/*/app.log"]
    assert files[0]["fields"]["k2"] == {"cluster": "rc-a", "environment": "test",
                                        "space": space.slug, "app": "web", "team": "alice",
                                        "source": "file"}  # fmt: skip
    daemonset = apps_api(sim, "rc-a").read_namespaced_daemon_set("k2-filebeat", NS)
    assert daemonset.spec.template.spec.service_account_name == "k2-filebeat"
    page = "/reconciler/rc-a/log-collection/"
    client.force_login(admin_user)
    body = client.get(page).content.decode()
    assert "Matches the generated configuration" in body and 'data-state="differs"' not in body
    core(sim, "rc-a").patch_namespaced_config_map(
        "k2-filebeat-inputs", NS, {"data": {key: "[]"}}
    )  # edited by hand: the page says so
    body = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-state="differs"' in body and "k2-filebeat-inputs" in body
    client.force_login(alice)
    assert client.get(page).status_code == 403

    owner = Actor.for_user(alice)
    run_pass(clusters["rc-a"].pk)  # repairs the hand edit
    do_edit_app(quiet, spec={"stdout_logging": True}, actor=owner)
    reconcile_app(quiet.pk)  # what the edit's on-commit hook queues
    stdout = yaml.safe_load(_inputs(sim)[f"{space.slug}.quiet.yml"])
    assert stdout[0]["paths"] == [f"/var/log/containers/quiet-*_{space.slug}_quiet-*.log"]

    quiet.refresh_from_db()
    do_edit_app(quiet, spec={"stdout_logging": False}, actor=owner)
    reconcile_app(quiet.pk)
    assert set(_inputs(sim)) == {key}

    do_delete_app(web, actor=owner)
    reconcile_app(web.pk)
    assert _inputs(sim) == {}

    do_update_log_output("test", {}, actor=Actor.for_user(admin_user))
    outcome = run_pass(clusters["rc-a"].pk)
    assert outcome.pruned >= 6
    with pytest.raises(ApiException) as gone:
        apps_api(sim, "rc-a").read_namespaced_daemon_set("k2-filebeat", NS)
    assert gone.value.status == 404
