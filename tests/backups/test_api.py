"""Backups in the API and on the space page: outsiders see nothing, viewers may not take
one, an owner's "back up now" runs the operation to a verified backup; retention prunes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.actors import Actor
from apps.backups.choices import BackupState, BackupTrigger
from apps.backups.models import Backup
from apps.backups.services import do_prune_backups, take_backup
from apps.backups.store import get_store
from apps.operations.models import Operation
from apps.operations.services import do_retry_operation
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def file_store(settings, tmp_path):
    settings.K2_BACKUP_STORE_URL = f"file://{tmp_path / 'store'}"


def url(space) -> str:
    return f"/api/v1/spaces/{space.slug}/backups/"


def test_outsiders_see_nothing_and_viewers_may_not_back_up(space, charlie, viewer):
    backup = take_backup(space, trigger="manual", actor=Actor.system("tests"))
    outsider = api_as(charlie)
    assert outsider.get(url(space)).status_code == 404
    assert outsider.get(f"/api/v1/backups/{backup.pk}/").status_code == 404
    assert outsider.post(url(space)).status_code == 404
    reader = api_as(viewer)
    [row] = reader.get(url(space)).json()["results"]
    assert row["id"] == backup.pk and row["state"] == "verified" and row["space"] == space.slug
    assert reader.get(f"/api/v1/backups/{backup.pk}/").json()["checksum"] == backup.checksum
    refused = reader.post(url(space))
    assert refused.status_code == 403
    assert not Operation.objects.filter(kind="backups.take").exists()


def test_back_up_now_runs_the_operation_to_a_verified_backup(space, alice, run, client):
    response = run(api_as(alice).post, url(space))
    assert response.status_code == 202
    operation = Operation.objects.get(pk=response.json()["id"])
    assert operation.kind == "backups.take" and operation.state == "succeeded", operation.error
    backup = Backup.objects.get(operation=operation)
    assert backup.state == BackupState.VERIFIED and backup.trigger == BackupTrigger.MANUAL
    assert backup.actor_name == "alice"
    client.force_login(alice)
    card = client.get(f"/backups/spaces/{space.slug}/").content.decode()
    assert f'data-backup="{backup.pk}"' in card and 'data-state="verified"' in card
    assert 'data-testid="backup-now"' in card
    page = client.get(f"/spaces/{space.slug}/").content.decode()
    assert f'hx-get="/backups/spaces/{space.slug}/"' in page


def test_the_card_has_an_empty_state_and_no_button_for_viewers(space, viewer, client):
    client.force_login(viewer)
    card = client.get(f"/backups/spaces/{space.slug}/").content.decode()
    assert 'data-testid="empty-state"' in card and "backup-now" not in card


def test_retention_keeps_the_newest_and_every_recent_predestroy_backup(space):
    store = get_store()
    old = timezone.now() - timedelta(days=100)

    def made(trigger, *, state=BackupState.VERIFIED, keep_until=None):
        backup = Backup.objects.create(space=space, space_slug=space.slug, trigger=trigger,
                                       state=state, keep_until=keep_until)  # fmt: skip
        backup.location = f"spaces/{space.slug}/{backup.pk}.tar.gz"
        store.put(backup.location, b"archive")
        backup.save()
        return backup

    expired_predestroy = made(BackupTrigger.EXPIRY, keep_until=old)
    recent_predestroy = made(BackupTrigger.BEFORE_DELETE,
                             keep_until=timezone.now() + timedelta(days=1))  # fmt: skip
    manual = [made(BackupTrigger.MANUAL) for _ in range(6)]
    assert do_prune_backups() == {"pruned": 2, "errors": 0}
    states = {b.pk: b.state for b in Backup.objects.all()}
    assert states[expired_predestroy.pk] == BackupState.PRUNED
    assert states[recent_predestroy.pk] == BackupState.VERIFIED
    assert states[manual[0].pk] == BackupState.PRUNED  # the oldest beyond the newest five
    assert all(states[b.pk] == BackupState.VERIFIED for b in manual[1:])
    assert not store.exists(manual[0].location) and store.exists(manual[1].location)
    assert do_prune_backups() == {"pruned": 0, "errors": 0}


def test_the_prune_schedule_is_registered():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="workers.backups.prune", enabled=True).exists()


def test_a_failed_backup_fails_its_operation_in_words_and_a_retry_takes_a_new_one(
    space, alice, run, sim, settings
):
    settings.K2_CLUSTER_RETRY_ATTEMPTS = 1
    sim["wl-test"].set_faults(refuse_connections=True)
    try:
        response = run(api_as(alice).post, url(space))
    finally:
        sim["wl-test"].clear_faults()
    operation = Operation.objects.get(pk=response.json()["id"])
    assert operation.state == "failed"
    assert "Reading the space's objects from the cluster failed" in operation.error
    [failed] = Backup.objects.filter(operation=operation)
    assert failed.state == BackupState.FAILED
    run(do_retry_operation, operation, actor=Actor.for_user(alice))
    operation.refresh_from_db()
    assert operation.state == "succeeded", operation.error
    states = sorted(Backup.objects.filter(operation=operation).values_list("state", flat=True))
    assert states == [BackupState.FAILED, BackupState.VERIFIED]


def test_the_portal_button_starts_a_backup_for_owners_only(space, alice, viewer, client):
    client.force_login(viewer)
    assert client.post(f"/backups/spaces/{space.slug}/take/").status_code == 403
    assert not Operation.objects.filter(kind="backups.take").exists()
    client.force_login(alice)
    response = client.post(f"/backups/spaces/{space.slug}/take/")
    assert response.status_code == 302 and response["Location"] == f"/spaces/{space.slug}/"
    operation = Operation.objects.get(kind="backups.take", space=space)
    assert operation.params == {"trigger": "manual"}
