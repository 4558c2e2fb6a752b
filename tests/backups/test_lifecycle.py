"""The end of a test space's life on k2sim: an expired space with an app and objects made by
hand is backed up, verified and destroyed by the expiry sweep (exactly once, even when the
sweep runs twice); a space whose backup fails stays, and its owners are told why; the
backup is restored under a new name on another test cluster, where the app runs again and
the hand-made objects are back with equal content (the Secret decrypted)."""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone
from kubernetes import client as k8s

from apps.approvals.models import Notification
from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.backups.choices import BackupState
from apps.backups.models import Backup
from apps.backups.restore import do_restore_backup
from apps.core import tasks
from apps.operations.models import Operation
from apps.spaces.lifecycle import do_sweep_expired
from apps.spaces.models import Space, SpaceTransition
from apps.workloads.models import App
from tests.backups.conftest import BUCKET
from tests.backups.test_take import PASSWORD, hand_made
from tests.workloads.conftest import ready_pods, service_spec, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
BUDGET = 30.0


@pytest.fixture(autouse=True)
def file_store(settings, tmp_path):
    settings.K2_BACKUP_STORE_URL = f"file://{tmp_path / 'store'}"
    settings.K2_SPACES_DELETE_POLL_SECONDS = 0.2


@pytest.fixture
def drain(monkeypatch):
    """drain(fn, *args): call `fn`, then run every task it (and the tasks) queued in this
    process, as a worker would: delayed ones after a short nap, a transient failure (an
    operation waiting for its space) again after the others."""
    current_app.loader.import_default_modules()
    queued: list = []
    monkeypatch.setattr(tasks, "send", lambda name, a, k, o: queued.append((name, a, k, o)))

    def call(fn, *args, follow=True, **kwargs):
        result = fn(*args, **kwargs)
        deadline = time.monotonic() + BUDGET
        while queued and time.monotonic() < deadline:
            name, a, k, options = queued.pop(0)
            if options.get("countdown"):
                if not follow:
                    continue  # a rollout's follow-up looks: not this test's business
                time.sleep(min(options["countdown"], 0.2))
            try:
                current_app.tasks[name].run(*a, **k)
            except Exception as exc:  # TransientError: retried, as Celery would
                if exc.__class__.__name__ != "TransientError":
                    raise
                queued.append((name, a, k, {"countdown": 0.2}))
        return result

    call.queued = queued
    return call


def _expired(space) -> Space:
    Space.objects.filter(pk=space.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    return Space.objects.get(pk=space.pk)


@pytest.fixture
def made(space, dev, sim, drain):
    """The space with a running K2 app and the hand-made objects."""
    from apps.workloads.services import do_create_app

    drain(do_create_app, space, name="web", spec=service_spec(), actor=Actor.for_user(dev),
          follow=False)  # fmt: skip
    wait_for(lambda: ready_pods(sim, "wl-test", space.namespace, "web"))
    hand_made(sim, space.namespace)
    return space


@pytest.mark.parametrize("backend", ["file", "s3"])
def test_expired_space_is_backed_up_verified_destroyed_once_and_restored_elsewhere(
    made, alice, sim, drain, backend, request, settings
):
    if backend == "s3":  # the same journey on the S3-compatible store
        settings.K2_BACKUP_S3_ENDPOINT_URL = request.getfixturevalue("s3_server")
        settings.K2_BACKUP_STORE_URL = f"s3://{BUCKET}/{made.slug}"
    space = _expired(made)
    counts = drain(do_sweep_expired)
    assert counts["started"] == 1
    assert drain(do_sweep_expired)["started"] == 0  # a second sweep finds nothing to do
    [operation] = Operation.objects.filter(kind="spaces.expire", space=space)
    assert operation.state == "succeeded", operation.error
    [backup] = Backup.objects.filter(space=space)
    assert (backup.trigger, backup.state) == ("expiry", BackupState.VERIFIED)
    assert backup.store_url == settings.K2_BACKUP_STORE_URL
    wait_for(lambda: Space.objects.get(pk=space.pk).state == "deleted", timeout=20)
    moves = list(SpaceTransition.objects.filter(space=space).order_by("at", "pk")
                 .values_list("to_state", flat=True))  # fmt: skip
    assert moves[-4:] == ["expiring", "expired", "deleting", "deleted"], moves
    assert AuditEvent.objects.filter(action="space.expire", outcome="succeeded").count() == 1

    new = f"{space.slug[:50]}-back"
    restore = drain(do_restore_backup, backup, actor=Actor.for_user(alice), slug=new,
                    cluster="wl-test2")  # fmt: skip
    restore.refresh_from_db()
    assert restore.state == "succeeded", restore.error
    report = restore.result
    created = {entry["object"] for entry in report["created"]}
    assert {"app web", "ConfigMap feature-flags", "Secret db", "CronJob nightly",
            "PersistentVolumeClaim data", "member devon (developer)"} <= created, report  # fmt: skip
    assert not report["failed"], report
    skipped = {entry["object"]: entry["reason"] for entry in report["skipped"]}
    assert "managed by K2Cloud" in skipped["Deployment web"]

    restored = Space.objects.get(slug=new, state="active")
    assert restored.primary_cluster.name == "wl-test2"
    assert App.objects.filter(space=restored, name="web").exists()
    wait_for(lambda: ready_pods(sim, "wl-test2", new, "web"))
    api = sim["wl-test2"].api_client()
    secret = k8s.CoreV1Api(api).read_namespaced_secret("db", new)
    assert base64.b64decode(secret.data["password"]).decode() == PASSWORD
    flags = k8s.CoreV1Api(api).read_namespaced_config_map("feature-flags", new)
    assert flags.data == {"checkout": "on"}
    assert k8s.BatchV1Api(api).read_namespaced_cron_job("nightly", new).spec.schedule == "0 3 * * *"

    # Restoring again into the same name duplicates nothing: the name is taken.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="taken"):
        do_restore_backup(backup, actor=Actor.for_user(alice), slug=new, cluster="wl-test2")


def _refused_by_the_cluster(sim, namespace: str):
    """A custom resource whose definition tightened since it was made: the cluster would
    refuse to re-create it, so the dry run of verification fails. Returns the cleanup."""
    import uuid

    api = sim["wl-test"].api_client()
    group = f"e{uuid.uuid4().hex[:8]}.k2.test"
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
    widget = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "small"},
              "spec": {"size": 2}}  # fmt: skip
    custom = k8s.CustomObjectsApi(api)

    def create():
        try:
            return custom.create_namespaced_custom_object(group, "v1", namespace, "widgets", widget)
        except k8s.ApiException as exc:
            if exc.status == 404:  # the definition is not served yet
                return None
            raise

    wait_for(create, timeout=5)
    crd["spec"]["versions"][0]["schema"] = schema(5)
    ext.patch_custom_resource_definition(f"widgets.{group}", crd)
    return lambda: ext.delete_custom_resource_definition(f"widgets.{group}")


@pytest.mark.parametrize("cause", ["store", "dry-run"])
def test_a_space_whose_backup_fails_is_left_in_place_and_its_owners_are_told(
    space, alice, sim, drain, settings, cause
):
    space = _expired(space)
    cleanup = lambda: None  # noqa: E731
    if cause == "store":
        settings.K2_BACKUP_STORE_URL = "file:///proc/k2-no-such-store"  # the store is unusable
    else:
        cleanup = _refused_by_the_cluster(sim, space.namespace)
    try:
        drain(do_sweep_expired)
    finally:
        cleanup()
    [operation] = Operation.objects.filter(kind="spaces.expire", space=space)
    assert operation.state == "failed" and operation.error
    if cause == "dry-run":
        assert "refused Widget small" in operation.error, operation.error
    space.refresh_from_db()
    assert space.state == "expiring"  # still there, namespace and all
    assert k8s.CoreV1Api(sim["wl-test"].api_client()).read_namespace(space.slug)
    assert Notification.objects.filter(user=alice, verb="backup-failed", space=space).exists()
    assert AuditEvent.objects.filter(action="space.expire", outcome="failed").exists()
    # Backoff: the next sweep waits before trying again.
    assert drain(do_sweep_expired)["backing_off"] == 1
    assert Operation.objects.filter(kind="spaces.expire", space=space).count() == 1


def test_deleting_a_space_backs_it_up_first_and_a_failed_backup_keeps_it(
    space, alice, drain, settings, tmp_path
):
    from apps.operations.services import do_retry_operation
    from apps.spaces.selectors import ending_of
    from apps.spaces.services import do_delete_space

    good_store = settings.K2_BACKUP_STORE_URL
    settings.K2_BACKUP_STORE_URL = "file:///proc/k2-no-such-store"
    drain(do_delete_space, space, actor=Actor.for_user(alice))
    [operation] = Operation.objects.filter(kind="spaces.delete", space=space)
    assert operation.state == "failed" and "store" in operation.error.lower()
    assert Space.objects.get(pk=space.pk).state == "active"  # nothing destroyed
    settings.K2_BACKUP_STORE_URL = good_store
    drain(do_retry_operation, operation, actor=Actor.for_user(alice))  # after the fix
    operation.refresh_from_db()
    assert operation.state == "succeeded", operation.error
    assert (
        Backup.objects.filter(space=space, trigger="before-delete", state="verified").count() == 1
    )
    wait_for(lambda: Space.objects.get(pk=space.pk).state == "deleted", timeout=20)
    assert ending_of(space) is None


@pytest.mark.django_db(transaction=False)  # the data migration's row (a flush removes it)
def test_the_expiry_sweep_has_an_hourly_beat_entry():
    from django_celery_beat.models import PeriodicTask

    from apps.spaces.schedules import EXPIRY_TASK, EXPIRY_TASK_NAME

    entry = PeriodicTask.objects.get(name=EXPIRY_TASK_NAME)
    assert (entry.task, entry.interval.every, entry.interval.period) == (EXPIRY_TASK, 3600,
                                                                         "seconds")  # fmt: skip
    assert entry.enabled


def test_an_expiry_at_its_last_step_leaves_its_slot_to_the_next_space(make_space, settings, drain):
    """The last step asks for the next sweep while its operation is still running: that
    sweep must not count it, or a cluster limited to one expiry at a time would stall."""
    from apps.operations.services import do_start_operation
    from apps.spaces.choices import EXPIRE_KIND, destroy_key
    from apps.spaces.lifecycle import ACTOR

    settings.K2_EXPIRY_CONCURRENCY_PER_CLUSTER = 1  # `drain` keeps the queued tasks here
    first, second = _expired(make_space()), _expired(make_space())
    op = do_start_operation(EXPIRE_KIND, actor=ACTOR, space=first, key=destroy_key(first.pk),
                            params={"space_id": first.pk, "trigger": "expiry"})  # fmt: skip
    Operation.objects.filter(pk=op.pk).update(state="running", progress_total=4, progress_done=2)
    assert do_sweep_expired()["deferred"] == 1  # backing up: it holds the cluster's slot
    Operation.objects.filter(pk=op.pk).update(progress_done=3)  # at "continue with the next"
    assert do_sweep_expired()["started"] == 1
    assert Operation.objects.filter(kind=EXPIRE_KIND, space=second).exists()
