"""Audit trail chores: archive events past the retention age (daily, from beat)."""

from celery import shared_task


@shared_task(name="workers.audit.archive_old_events")
def archive_old_events(older_than_days: int | None = None) -> int | None:
    """Archive and delete old events; return the AuditArchive id (None: nothing to do)."""
    from apps.audit.actors import Actor
    from apps.audit.retention import archive_old_events as archive

    result = archive(
        older_than_days=older_than_days, actor=Actor.system("workers.audit.archive_old_events")
    )
    return result.pk if result else None
