"""Backup tasks: retention (beat, hourly). Backups themselves run as operations
(kind "backups.take", workers/operations.py runs them)."""

from celery import shared_task


@shared_task(name="workers.backups.prune", expires=3540, ignore_result=True)
def prune() -> dict:
    """Delete archives past retention; their rows stay as "pruned"."""
    from apps.backups.services import do_prune_backups

    return do_prune_backups()
