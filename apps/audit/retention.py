"""Retention: export the oldest events to a gzip JSON-lines file, record it, then delete them.

The file's SHA-256 and the hash of its last event are kept in an AuditArchive row, so
`audit_verify` still links the first kept event to the archived chain. On PostgreSQL the
append-only trigger lets DELETE through only when the transaction has set
`k2.audit_retention = 'on'` (SET LOCAL), which nothing but this module does.
"""

import gzip
import json
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.hashing import hashed_fields
from apps.audit.models import AuditArchive, AuditEvent
from apps.audit.services import lock_chain, record, seal_pending
from apps.audit.verify import file_sha256


def retention_days() -> int:
    return settings.K2_AUDIT_RETENTION_DAYS


def archive_dir() -> Path:
    return settings.K2_AUDIT_ARCHIVE_DIR


def event_to_line(event: AuditEvent) -> dict:
    line = {name: getattr(event, name) for name in hashed_fields(event.hash_version)}
    line.update(
        id=event.pk, seq=event.seq, hash=event.hash, hash_version=event.hash_version,
        created_at=event.created_at.isoformat(),
    )  # fmt: skip
    return line


@contextmanager
def _retention_switch():
    """Let the PostgreSQL trigger pass these DELETEs, and only these (off again afterwards,
    since an enclosing transaction would otherwise keep the switch on)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL k2.audit_retention = 'on'")
        yield  # on failure the (sub)transaction rolls back, and the setting with it
        cursor.execute("SET LOCAL k2.audit_retention = 'off'")


def archive_old_events(
    *, older_than_days: int | None = None, now=None, actor=None
) -> AuditArchive | None:
    """Archive and remove the events older than the retention age; None if there are none.

    1. Under the chain lock, seal what is committed but unsealed, then take the oldest
       sealed events up to the newest one older than the cutoff, in chain order (a
       contiguous prefix of the chain, so the kept part still links to it).
    2. Write them to a temporary file, then rename it; record its SHA-256.
    3. Delete them with the retention switch on, and record the cut as an event of its
       own ("audit.archive"); the transaction commits all of it together.
    """
    days = retention_days() if older_than_days is None else older_than_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    directory = archive_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = None
    try:
        with transaction.atomic():
            lock_chain()
            seal_pending()
            last_seq = (
                AuditEvent.objects.filter(created_at__lt=cutoff, seq__isnull=False)
                .order_by("-seq")
                .values_list("seq", flat=True)
                .first()
            )
            if last_seq is None:
                return None
            events = AuditEvent.objects.filter(seq__lte=last_seq).order_by("seq")
            first, last_id = events.first(), events.last().pk
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
            path = directory / f"audit-{first.pk:012d}-{last_id:012d}-{stamp}.jsonl.gz"
            partial = path.with_suffix(".partial")
            count, last = 0, None
            with gzip.open(partial, "wt", encoding="utf-8") as fh:
                for event in events.iterator(chunk_size=2000):
                    fh.write(json.dumps(event_to_line(event), sort_keys=True, ensure_ascii=False))
                    fh.write("\n")
                    count, last = count + 1, event
            partial.rename(path)
            archive = AuditArchive.objects.create(
                path=str(path),
                sha256=file_sha256(path),
                event_count=count,
                first_event_id=first.pk,
                last_event_id=last.pk,
                first_event_at=first.created_at,
                last_event_at=last.created_at,
                first_prev_hash=first.prev_hash,
                last_event_hash=last.hash,
            )
            with _retention_switch():
                AuditEvent.objects.filter(seq__lte=last_seq)._delete_for_retention()
            record(
                actor or Actor.system("audit.retention"),
                "audit.archive",
                archive,
                changes={
                    "events": {"before": None, "after": count},
                    "range": {"before": None, "after": f"#{first.pk}–#{last.pk}"},
                    "file": {"before": None, "after": path.name},
                    "sha256": {"before": None, "after": archive.sha256},
                },
                reason=f"older than {days} days",
            )
            seal_pending()  # the cut's own event, under the lock this transaction holds
    except BaseException:
        for leftover in (path, path and path.with_suffix(".partial")):
            if leftover and leftover.exists():
                leftover.unlink()
        raise
    return archive
