"""Provisioning against k2sim: every object created and valid, a second run changes nothing,
member changes update the RoleBindings, deletion removes the namespace."""

import pytest
from kubernetes import client

from apps.audit.actors import Actor
from apps.spaces.choices import ClusterStatus, SpaceState
from apps.spaces.provisioning import desired_manifests, do_finish_deletion, do_provision_space
from tests.kube_openapi import validation_errors
from tests.spaces.conftest import make_space, namespaces

pytestmark = pytest.mark.django_db


def _objects(handle, ns):
    api = handle.api_client()
    core, rbac, net = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api), \
        client.NetworkingV1Api(api)  # fmt: skip
    return {
        "namespace": core.read_namespace(ns),
        "quota": core.read_namespaced_resource_quota("k2-quota", ns),
        "limits": core.read_namespaced_limit_range("k2-limits", ns),
        "bindings": {b.metadata.name: b for b in rbac.list_namespaced_role_binding(ns).items},
        "netpol": net.read_namespaced_network_policy("k2-default", ns),
    }


def _versions(objects) -> dict:
    out = {k: v.metadata.resource_version for k, v in objects.items() if k != "bindings"}
    out |= {f"rb/{k}": v.metadata.resource_version for k, v in objects["bindings"].items()}
    return out


def test_every_rendered_manifest_is_valid_kubernetes(alice, test_cluster, sim):
    space = make_space(alice, "valid-check", cluster=test_cluster)
    for manifest in desired_manifests(space, test_cluster):
        assert validation_errors(manifest) == [], manifest


def test_provisioning_creates_the_objects_and_a_second_run_changes_nothing(
    alice, bob, test_cluster, sim
):
    from apps.spaces.services import do_add_member

    space = make_space(alice, "team-a", cluster=test_cluster)
    assert space.state == SpaceState.ACTIVE
    assert space.placements.get().status == ClusterStatus.READY
    do_add_member(space, bob, "developer", actor=Actor.for_user(alice))
    do_provision_space(space.pk)

    objects = _objects(sim["test"], "team-a")
    ns = objects["namespace"]
    assert ns.metadata.labels["app.kubernetes.io/managed-by"] == "k2cloud"
    assert ns.metadata.labels["k2cloud.io/space"] == "team-a"
    assert ns.metadata.annotations["k2cloud.io/spec-hash"]
    hard = objects["quota"].spec.hard
    assert hard["limits.cpu"] == space.quota_cpu and hard["limits.memory"] == space.quota_memory
    assert hard["requests.cpu"] == "1"  # 4 CPU of limits / overcommit 4
    assert objects["limits"].spec.limits[0].default == {"cpu": "500m", "memory": "512Mi"}
    bindings = objects["bindings"]
    assert bindings["k2-owner"].role_ref.name == "admin"
    assert [s.name for s in bindings["k2-owner"].subjects] == ["alice"]
    assert bindings["k2-developer"].role_ref.name == "edit"
    assert [s.name for s in bindings["k2-developer"].subjects] == ["bob"]
    ingress = objects["netpol"].spec.ingress
    assert ingress[1]._from[0].namespace_selector.match_labels == {
        "kubernetes.io/metadata.name": "ingress-nginx"
    }

    before = _versions(objects)
    assert do_provision_space(space.pk) == SpaceState.ACTIVE
    assert _versions(_objects(sim["test"], "team-a")) == before


def test_member_changes_update_the_role_bindings(alice, bob, dana, test_cluster, sim):
    from apps.spaces.services import do_add_member, do_change_member_role, do_remove_member

    space = make_space(alice, "team-b", cluster=test_cluster)
    member = do_add_member(space, bob, "viewer", actor=Actor.for_user(alice))
    do_add_member(space, dana, "viewer", actor=Actor.for_user(alice))
    do_provision_space(space.pk)
    bindings = _objects(sim["test"], "team-b")["bindings"]
    assert [s.name for s in bindings["k2-viewer"].subjects] == ["bob", "dana"]
    assert bindings["k2-viewer"].role_ref.name == "view"

    do_change_member_role(member, "admin", actor=Actor.for_user(alice))
    do_provision_space(space.pk)
    bindings = _objects(sim["test"], "team-b")["bindings"]
    assert [s.name for s in bindings["k2-viewer"].subjects] == ["dana"]
    assert [s.name for s in bindings["k2-admin"].subjects] == ["bob"]

    do_remove_member(member, actor=Actor.for_user(alice))
    do_remove_member(space.memberships.get(user=dana), actor=Actor.for_user(alice))
    do_provision_space(space.pk)
    bindings = _objects(sim["test"], "team-b")["bindings"]
    assert sorted(bindings) == ["k2-owner"]


def test_deleting_a_space_deletes_its_namespace(alice, test_cluster, sim):
    import time

    from apps.backups.models import Backup
    from apps.operations.services import run_operation
    from apps.spaces.selectors import ending_of
    from apps.spaces.services import do_delete_space

    space = make_space(alice, "short-lived", cluster=test_cluster)
    assert namespaces(sim["test"], "short-lived") == ["short-lived"]
    do_delete_space(space, actor=Actor.for_user(alice))
    space.refresh_from_db()
    assert space.state == SpaceState.ACTIVE  # backed up first, by an operation
    assert run_operation(ending_of(space).pk) == "succeeded"
    [backup] = Backup.objects.filter(space=space)
    assert (backup.trigger, backup.state) == ("before-delete", "verified")
    deadline = time.monotonic() + 20
    while not do_finish_deletion(space.pk):
        assert time.monotonic() < deadline, "namespace still there"
        time.sleep(0.2)
    space.refresh_from_db()
    assert space.state == SpaceState.DELETED
    assert namespaces(sim["test"], "short-lived") == []
    assert list(space.transitions.values_list("to_state", flat=True)) == [
        "provisioning", "active", "deleting", "deleted",
    ]  # fmt: skip


def test_a_namespace_not_made_by_k2_fails_the_space_with_words(alice, test_cluster, sim):
    api = client.CoreV1Api(sim["test"].api_client())
    api.create_namespace({"metadata": {"name": "legacy-team"}})
    space = make_space(alice, "legacy-team", cluster=test_cluster)
    assert space.state == SpaceState.FAILED
    assert "not managed by K2Cloud" in space.last_error
    assert "not managed by K2Cloud" in space.placements.get().error


def test_a_space_on_two_clusters_of_its_environment(
    alice, test_cluster, second_test_cluster, prod_cluster, sim
):
    from tests.conftest import api_as

    response = api_as(alice).post(
        "/api/v1/spaces/",
        {"slug": "twin", "environment": "test", "cluster": "test-1",
         "extra_clusters": ["prod-1"]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "needs a Test cluster" in response.json()["fields"]["extra_clusters"][0]
    space = make_space(alice, "twin", cluster=test_cluster, extra_clusters=["test2-1"])
    assert space.state == SpaceState.ACTIVE
    statuses = dict(space.placements.values_list("cluster__name", "status"))
    assert statuses == {"test-1": "ready", "test2-1": "ready"}
    assert namespaces(sim["test"], "twin") == ["twin"]
    assert namespaces(sim["test2"], "twin") == ["twin"]
    assert namespaces(sim["prod"], "twin") == []


def test_an_unreachable_cluster_fails_the_space_in_words_and_retry_heals_it(
    alice, second_test_cluster, sim, settings
):
    from apps.clusters import gateway
    from apps.spaces.services import do_retry_space

    settings.K2_CLUSTER_CONNECT_TIMEOUT = 1
    settings.K2_CLUSTER_RETRY_ATTEMPTS = 1
    sim["test2"].set_faults(refuse_connections=True)
    try:
        space = make_space(alice, "flaky", cluster=second_test_cluster)
    finally:
        sim["test2"].clear_faults()
    assert space.state == SpaceState.FAILED
    placement = space.placements.get()
    assert placement.status == ClusterStatus.FAILED
    assert placement.error.startswith("Cluster test2-1: ") and "connect" in placement.error.lower()
    assert space.last_error == placement.error

    gateway.reset()
    do_retry_space(space, actor=Actor.for_user(alice))
    assert do_provision_space(space.pk) == SpaceState.ACTIVE
    assert namespaces(sim["test2"], "flaky") == ["flaky"]
    assert [t.to_state for t in space.transitions.all()] == [
        "provisioning", "failed", "provisioning", "active",
    ]  # fmt: skip


def test_every_space_change_produces_a_targeted_pass_and_the_state_follows_it(
    alice, bob, test_cluster, sim, django_capture_on_commit_callbacks, monkeypatch
):
    """The services only queue the reconciler's targeted pass; the pass row is written and
    the state moves (provisioning -> active, deleting -> deleted) from what it observed."""
    from apps.core import tasks
    from apps.reconciler.models import ReconcilePass
    from apps.reconciler.services import reconcile_space
    from apps.spaces.services import do_add_member, do_create_space, do_delete_space

    queued = []
    monkeypatch.setattr(tasks, "send", lambda name, a, k, o: queued.append((name, a, k)))

    def passes():
        return ReconcilePass.objects.filter(scope="space", target="lifecycle").count()

    with django_capture_on_commit_callbacks(execute=True):
        space = do_create_space(
            actor=Actor.for_user(alice), slug="lifecycle", environment="test"
        ).space
    assert queued == [("workers.reconcile.reconcile_space", (space.pk,), {})]
    space.refresh_from_db()
    assert space.state == SpaceState.PROVISIONING and passes() == 0
    assert namespaces(sim["test"], "lifecycle") == []
    reconcile_space(space.pk)
    space.refresh_from_db()
    assert space.state == SpaceState.ACTIVE and passes() == 1
    assert namespaces(sim["test"], "lifecycle") == ["lifecycle"]
    activated = space.transitions.get(to_state="active")
    assert activated.actor_name == "workers.reconcile.reconcile_space"

    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        do_add_member(space, bob, "developer", actor=Actor.for_user(alice))
    assert queued == [("workers.reconcile.reconcile_space", (space.pk,), {})]
    reconcile_space(space.pk)
    assert passes() == 2
    binding = client.RbacAuthorizationV1Api(sim["test"].api_client()).read_namespaced_role_binding(
        "k2-developer", "lifecycle"
    )
    assert [s.name for s in binding.subjects] == ["bob"]

    queued.clear()
    from apps.operations.services import run_operation
    from apps.spaces.selectors import ending_of

    with django_capture_on_commit_callbacks(execute=True):
        do_delete_space(space, actor=Actor.for_user(alice))
    assert queued == [("workers.operations.run_operation", (ending_of(space).pk,), {})]
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the backup, then the deletion
        run_operation(ending_of(space).pk)
    assert queued == [("workers.reconcile.reconcile_space", (space.pk,), {})]
    import time

    deadline = time.monotonic() + 20
    while (result := reconcile_space(space.pk))["again_in"] is not None:
        assert time.monotonic() < deadline, "namespace still there"
        time.sleep(result["again_in"])
    space.refresh_from_db()
    assert space.state == SpaceState.DELETED and passes() >= 3
    assert namespaces(sim["test"], "lifecycle") == []
