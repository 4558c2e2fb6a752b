"""Audit trail chores: archive events past the retention age (daily, from beat) and seal
events whose on-commit sealing did not run (every minute)."""

from celery import shared_task

from apps.audit.actors import Actor
from apps.audit.retention import archive_old_events as archive
from apps.audit.services import seal_chain as seal


@shared_task(name="workers.audit.archive_old_events")
def archive_old_events(older_than_days: int | None = None) -> int | None:
    """Archive and delete old events; return the AuditArchive id (None: nothing to do)."""
    result = archive(
        older_than_days=older_than_days, actor=Actor.system("workers.audit.archive_old_events")
    )
    return result.pk if result else None


@shared_task(name="workers.audit.seal_chain")
def seal_chain() -> int:
    """Link committed events not yet in the hash chain; return how many were sealed."""
    return seal()
