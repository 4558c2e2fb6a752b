"""The beat entry of backup retention, kept in django_celery_beat's tables by name.

Created by migration 0002; admins may edit the interval in the Django admin afterwards
(an existing entry keeps its interval). Other schedules are never touched.
"""

PRUNE_TASK_NAME = "backups: delete archives past retention"
PRUNE_TASK = "workers.backups.prune"
PRUNE_SECONDS = 3600


def ensure_prune_schedule(interval_model=None, task_model=None) -> None:
    if interval_model is None:
        from django_celery_beat.models import IntervalSchedule as interval_model
        from django_celery_beat.models import PeriodicTask as task_model
    existing = task_model.objects.filter(name=PRUNE_TASK_NAME).first()
    defaults = {"task": PRUNE_TASK, "enabled": True, "expire_seconds": PRUNE_SECONDS - 60}
    if existing is None:
        defaults["interval"], _ = interval_model.objects.get_or_create(
            every=PRUNE_SECONDS, period="seconds"
        )
    task_model.objects.update_or_create(name=PRUNE_TASK_NAME, defaults=defaults)
