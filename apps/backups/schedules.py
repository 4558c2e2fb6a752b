"""The beat entry of backup retention, kept in django_celery_beat's tables by name.

Created by migration 0002; admins may edit the interval in the Django admin afterwards
(an existing entry keeps its interval). Other schedules are never touched.
"""

from apps.core.schedules import ensure_interval

PRUNE_TASK_NAME = "backups: delete archives past retention"
PRUNE_TASK = "workers.backups.prune"
PRUNE_SECONDS = 3600


def ensure_prune_schedule(interval_model=None, task_model=None) -> None:
    ensure_interval(PRUNE_TASK_NAME, PRUNE_TASK, PRUNE_SECONDS,
                    interval_model=interval_model, task_model=task_model)  # fmt: skip
