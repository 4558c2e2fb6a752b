"""A backup of a real space on k2sim: an app plus objects made by hand with the Kubernetes
client are collected, cleaned, archived with the Secret encrypted, stored and verified;
a damaged blob and a cluster that refuses the dry run fail verification in words."""

from __future__ import annotations

import base64
import gzip
import uuid

import pytest
from celery import current_app
from kubernetes import client as k8s

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.backups import archive
from apps.backups.choices import BackupState
from apps.backups.services import store_backup, take_backup, verify_backup
from apps.backups.store import get_store
from apps.core import tasks
from apps.workloads import services as app_services
from tests.backups.conftest import BUCKET
from tests.workloads.conftest import ready_pods, service_spec, wait_for

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests.backups")
PASSWORD = "hunter2-very-secret"


@pytest.fixture(autouse=True)
def file_store(settings, tmp_path):
    settings.K2_BACKUP_STORE_URL = f"file://{tmp_path / 'store'}"


def hand_made(sim, ns: str) -> None:
    """What a person would make with kubectl next to the K2 app."""
    api = sim["wl-test"].api_client()
    core, batch = k8s.CoreV1Api(api), k8s.BatchV1Api(api)
    meta = lambda name, **kw: k8s.V1ObjectMeta(name=name, **kw)  # noqa: E731
    core.create_namespaced_config_map(ns, k8s.V1ConfigMap(metadata=meta("feature-flags"),
                                                          data={"checkout": "on"}))  # fmt: skip
    core.create_namespaced_secret(ns, k8s.V1Secret(
        metadata=meta("db", annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"}),
        type="Opaque", data={"password": base64.b64encode(PASSWORD.encode()).decode()}))  # fmt: skip
    batch.create_namespaced_cron_job(ns, k8s.V1CronJob(
        metadata=meta("nightly"), spec=k8s.V1CronJobSpec(
            schedule="0 3 * * *", job_template=k8s.V1JobTemplateSpec(spec=k8s.V1JobSpec(
                template=k8s.V1PodTemplateSpec(spec=k8s.V1PodSpec(restart_policy="Never",
                    containers=[k8s.V1Container(name="job", image="busybox:1")])))))))  # fmt: skip
    core.create_namespaced_persistent_volume_claim(ns, k8s.V1PersistentVolumeClaim(
        metadata=meta("data"), spec=k8s.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=k8s.V1VolumeResourceRequirements(requests={"storage": "1Gi"}))))  # fmt: skip
    core.create_namespaced_secret(ns, k8s.V1Secret(
        metadata=meta("default-token", annotations={"kubernetes.io/service-account.name": "default"}),
        type="kubernetes.io/service-account-token"))  # fmt: skip
    core.create_namespaced_event(ns, k8s.CoreV1Event(
        metadata=meta("by-hand.1"), reason="Test", message="made by hand", type="Normal",
        involved_object=k8s.V1ObjectReference(kind="ConfigMap", name="feature-flags",
                                              namespace=ns)))  # fmt: skip


@pytest.fixture
def full_space(space, dev, sim, monkeypatch, django_capture_on_commit_callbacks):
    """The space with a running K2 app (its targeted reconcile pass run here, without the
    rollout's delayed follow-up looks) and the hand-made objects."""
    current_app.loader.import_default_modules()
    queued: list = []
    monkeypatch.setattr(tasks, "send", lambda name, a, k, o: queued.append((name, a, k, o)))
    with django_capture_on_commit_callbacks(execute=True):
        app_services.do_create_app(space, name="web", spec=service_spec(),
                                   actor=Actor.for_user(dev))  # fmt: skip
    for name, args, kwargs, options in queued:
        if not options.get("countdown"):
            current_app.tasks[name].run(*args, **kwargs)
    wait_for(lambda: ready_pods(sim, "wl-test", space.namespace, "web"))
    hand_made(sim, space.namespace)
    return space


def test_backup_holds_the_space_cleaned_with_secrets_encrypted_and_is_verified(full_space):
    space = full_space
    backup = take_backup(space, trigger="manual", actor=SYSTEM)
    assert backup.state == BackupState.VERIFIED, backup.error
    assert backup.verified_at and backup.size_bytes > 0 and len(backup.checksum) == 64
    assert backup.cluster_names == ["wl-test"]

    raw = get_store().get(backup.location, sha256=backup.checksum)
    assert PASSWORD.encode() not in gzip.decompress(raw)
    assert base64.b64encode(PASSWORD.encode()) not in gzip.decompress(raw)
    read = archive.read(raw)
    objects = {(o["kind"], o["metadata"]["name"]): o for o in read.objects["wl-test"]}
    for key in [("ConfigMap", "feature-flags"), ("Secret", "db"), ("CronJob", "nightly"),
                ("PersistentVolumeClaim", "data"), ("Deployment", "web"), ("Service", "web")]:  # fmt: skip
        assert key in objects, sorted(objects)
    kinds = {kind for kind, _ in objects}
    assert not kinds & {"Pod", "ReplicaSet", "Event", "Endpoints", "EndpointSlice"}, kinds
    assert ("Secret", "default-token") not in objects
    for obj in objects.values():
        meta = obj["metadata"]
        assert not {"uid", "resourceVersion", "managedFields", "creationTimestamp"} & set(meta)
        assert "status" not in obj
    secret = objects[("Secret", "db")]
    assert base64.b64decode(secret["data"]["password"]).decode() == PASSWORD
    assert "kubectl.kubernetes.io/last-applied-configuration" not in (
        secret["metadata"].get("annotations") or {}
    )
    assert "volumeName" not in objects[("PersistentVolumeClaim", "data")]["spec"]
    assert "clusterIP" not in objects[("Service", "web")]["spec"]

    assert read.space["slug"] == space.slug and read.space["owner"] == "alice"
    assert {"user": "devon", "role": "developer"} in read.space["members"]
    [app] = read.apps
    assert app["name"] == "web" and app["revision"]["spec"]["image"] == service_spec()["image"]
    assert app["placements"] == [{"cluster": "wl-test", "weight": 1}]
    assert backup.counts["wl-test"]["ConfigMap"] >= 1
    assert backup.counts["wl-test"]["batch/CronJob"] == 1
    actions = set(
        AuditEvent.objects.filter(target_id=str(backup.pk)).values_list("action", flat=True)
    )
    assert {"backup.take", "backup.verify"} <= actions


@pytest.mark.parametrize("backend", ["file", "s3"])
def test_a_backup_verifies_on_either_store_and_a_damaged_blob_fails_with_the_checksum(
    space, backend, request, settings
):
    if backend == "s3":
        settings.K2_BACKUP_S3_ENDPOINT_URL = request.getfixturevalue("s3_server")
        settings.K2_BACKUP_STORE_URL = f"s3://{BUCKET}/{uuid.uuid4().hex[:8]}"
    good = take_backup(space, trigger="manual", actor=SYSTEM)
    assert good.state == BackupState.VERIFIED, good.error
    assert good.store_url == settings.K2_BACKUP_STORE_URL
    backup = store_backup(space, trigger="manual", actor=SYSTEM)
    assert backup.state == BackupState.RUNNING and backup.checksum
    get_store().put(backup.location, b"garbage")  # someone changed the stored archive
    backup = verify_backup(backup, actor=SYSTEM)
    assert backup.state == BackupState.FAILED
    assert "checksum" in backup.error and backup.location in backup.error
    assert AuditEvent.objects.filter(action="backup.verify", outcome="failed").exists()


def test_a_cluster_that_refuses_the_dry_run_fails_verification_with_its_reason(space, sim):
    """A custom resource whose definition tightened after the backup was taken: the archive
    is fine, but the cluster would refuse to re-create the object."""
    api = sim["wl-test"].api_client()
    group = f"b{uuid.uuid4().hex[:8]}.k2.test"
    schema = lambda minimum: {"openAPIV3Schema": {"type": "object", "properties": {"spec": {  # noqa: E731
        "type": "object", "properties": {"size": {"type": "integer", "minimum": minimum}}}}}}  # fmt: skip
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"widgets.{group}"},
           "spec": {"group": group, "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "schema": schema(1)}]}}  # fmt: skip
    ext = k8s.ApiextensionsV1Api(api)
    ext.create_custom_resource_definition(crd)
    try:
        custom = k8s.CustomObjectsApi(api)
        create = lambda: custom.create_namespaced_custom_object(  # noqa: E731
            group, "v1", space.namespace, "widgets",
            {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "small"},
             "spec": {"size": 2}})  # fmt: skip
        wait_for(lambda: _succeeds(create), timeout=5)
        backup = store_backup(space, trigger="manual", actor=SYSTEM)
        assert backup.counts["wl-test"][f"{group}/Widget"] == 1
        crd["spec"]["versions"][0]["schema"] = schema(5)
        ext.patch_custom_resource_definition(f"widgets.{group}", crd)
        backup = verify_backup(backup, actor=SYSTEM)
        assert backup.state == BackupState.FAILED
        assert "refused Widget small" in backup.error, backup.error
        assert "422" in backup.error
    finally:
        ext.delete_custom_resource_definition(f"widgets.{group}")


def _succeeds(fn) -> bool:
    try:
        fn()
        return True
    except k8s.ApiException as exc:
        if exc.status == 404:  # the definition is not established yet
            return False
        raise


def test_an_unreachable_cluster_fails_the_backup_in_words(space, sim, settings):
    settings.K2_CLUSTER_RETRY_ATTEMPTS = 1
    sim["wl-test"].set_faults(refuse_connections=True)
    try:
        backup = take_backup(space, trigger="expiry", actor=SYSTEM)
    finally:
        sim["wl-test"].clear_faults()
    assert backup.state == BackupState.FAILED
    assert "Reading the space's objects from the cluster failed" in backup.error
    assert backup.keep_until is not None  # an expiry backup is kept for the pre-destroy days
