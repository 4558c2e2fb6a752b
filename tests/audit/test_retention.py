"""Retention: old events go to a hashed archive file; the chain stays verifiable across the cut."""

import gzip
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditArchive, AuditEvent
from apps.audit.retention import archive_old_events
from apps.audit.verify import file_sha256, verify_chain
from tests.audit.factories import make_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def archive_dir(settings, tmp_path):
    settings.K2_AUDIT_ARCHIVE_DIR = tmp_path / "archive"
    return settings.K2_AUDIT_ARCHIVE_DIR


def test_the_archive_cut_keeps_audit_verify_green(archive_dir):
    old = [make_event(f"test.old{i}") for i in range(3)]
    # The clock of the run is 5 days and a second after the last old event.
    archive = archive_old_events(
        older_than_days=5, now=old[-1].created_at + timedelta(days=5, seconds=1)
    )
    for i in range(2):
        make_event(f"test.new{i}")

    assert archive.event_count == 3
    assert (archive.first_event_id, archive.last_event_id) == (old[0].pk, old[-1].pk)
    assert archive.last_event_hash == old[-1].hash
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert file_sha256(archive_dir / archive.path.rsplit("/", 1)[-1]) == archive.sha256
    with gzip.open(archive.path, "rt") as fh:
        lines = [json.loads(line) for line in fh]
    assert [line["id"] for line in lines] == [e.pk for e in old]

    cut = AuditEvent.objects.get(action="audit.archive")
    assert (cut.actor_type, cut.actor_name) == ("system", "audit.retention")
    assert cut.target_id == str(archive.pk) and cut.changes["events"]["after"] == 3
    assert cut.prev_hash == archive.last_event_hash

    report = verify_chain(check_files=True)
    assert report.ok and report.checked == 3 and report.archives == 1
    call_command("audit_verify", "--check-files")


def test_a_second_cut_links_to_the_first_and_a_tampered_file_is_named(archive_dir):
    first = make_event("test.a")
    archive_old_events(older_than_days=0, now=first.created_at + timedelta(seconds=1))
    second = make_event("test.b")
    archive = archive_old_events(older_than_days=0, now=second.created_at + timedelta(seconds=1))
    # The second file holds the first cut's own "audit.archive" event, then test.b.
    assert archive.event_count == 2 and archive.last_event_hash == second.hash
    assert AuditArchive.objects.order_by("id").first().last_event_hash == first.hash
    assert AuditEvent.objects.filter(action__startswith="test.").count() == 0
    make_event("test.c")
    assert verify_chain(check_files=True).ok

    with open(archive.path, "ab") as fh:
        fh.write(b"tampered")
    broken = verify_chain(check_files=True).broken
    assert broken.archive_id == archive.pk and "file hash mismatch" in str(broken)


def test_nothing_to_archive_writes_no_file(archive_dir):
    make_event()
    assert archive_old_events(older_than_days=30) is None
    assert AuditArchive.objects.count() == 0
    assert not list(archive_dir.glob("*"))


def test_the_command_and_the_task_archive_by_age(archive_dir, settings):
    from workers.audit import archive_old_events as task

    settings.K2_AUDIT_RETENTION_DAYS = 0
    make_event()
    call_command("audit_archive")
    assert AuditArchive.objects.get().event_count == 1
    assert AuditEvent.objects.get().actor_name == "manage.py audit_archive"
    assert task.run(older_than_days=0) == AuditArchive.objects.order_by("-id").first().pk
    assert AuditEvent.objects.get().actor_name == "workers.audit.archive_old_events"
    assert verify_chain(check_files=True).ok


def test_the_trigger_still_refuses_deletes_after_a_retention_run(require_postgres):
    archive_old_events(older_than_days=0, now=make_event().created_at + timedelta(seconds=1))
    event = make_event()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
