"""The beat schedule of full passes, kept in django_celery_beat's tables by name.

Created by migration 0002; admins may edit the interval in the Django admin afterwards
(an existing entry keeps its interval). Other schedules are never touched.
"""

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

PASS_TASK_NAME = "reconciler: full pass of every cluster"
PASS_TASK = "workers.reconcile.reconcile_all"


def ensure_pass_schedule(interval_model=None, task_model=None) -> None:
    interval_model = interval_model or IntervalSchedule
    task_model = task_model or PeriodicTask
    seconds = settings.K2_RECONCILE_INTERVAL
    existing = task_model.objects.filter(name=PASS_TASK_NAME).first()
    defaults = {"task": PASS_TASK, "enabled": True, "expire_seconds": seconds}
    if existing is None:
        defaults["interval"], _ = interval_model.objects.get_or_create(
            every=seconds, period="seconds"
        )
    task_model.objects.update_or_create(name=PASS_TASK_NAME, defaults=defaults)
