"""The beat entry of the sweep, kept in django_celery_beat's tables by name.

Created by migration 0002; admins may edit the interval in the Django admin afterwards
(an existing entry keeps its interval). Other schedules are never touched.
"""

from django_celery_beat.models import IntervalSchedule, PeriodicTask

SWEEP_TASK_NAME = "operations: resume work whose worker died, retry stuck spaces and apps"
SWEEP_TASK = "workers.operations.sweep"
SWEEP_SECONDS = 60


def ensure_sweep_schedule(interval_model=None, task_model=None) -> None:
    interval_model = interval_model or IntervalSchedule
    task_model = task_model or PeriodicTask
    existing = task_model.objects.filter(name=SWEEP_TASK_NAME).first()
    defaults = {"task": SWEEP_TASK, "enabled": True, "expire_seconds": SWEEP_SECONDS - 5}
    if existing is None:
        defaults["interval"], _ = interval_model.objects.get_or_create(
            every=SWEEP_SECONDS, period="seconds"
        )
    task_model.objects.update_or_create(name=SWEEP_TASK_NAME, defaults=defaults)
