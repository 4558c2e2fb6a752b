"""The beat entries of the spaces app (expiry reminders, the expiry sweep), through
apps/core/schedules.py, kept in django_celery_beat's tables by name.

Created by migrations 0004 and 0005; admins may edit the interval in the Django admin afterwards
(an existing entry keeps its interval). Other schedules are never touched.
"""

from django.conf import settings

from apps.core.schedules import ensure_interval

REMINDER_TASK_NAME = "spaces: remind owners of test spaces about to expire"
REMINDER_TASK = "workers.spaces.send_expiry_reminders"
REMINDER_SECONDS = 3600


def ensure_reminder_schedule(interval_model=None, task_model=None) -> None:
    ensure_interval(REMINDER_TASK_NAME, REMINDER_TASK, REMINDER_SECONDS,
                    interval_model=interval_model, task_model=task_model)  # fmt: skip


EXPIRY_TASK_NAME = "spaces: back up and destroy expired test spaces"
EXPIRY_TASK = "workers.lifecycle.sweep_expired"


def ensure_expiry_schedule(interval_model=None, task_model=None) -> None:
    """The expiry sweep, every K2_EXPIRY_SWEEP_MINUTES (migration 0005)."""
    ensure_interval(EXPIRY_TASK_NAME, EXPIRY_TASK, settings.K2_EXPIRY_SWEEP_MINUTES * 60,
                    interval_model=interval_model, task_model=task_model)  # fmt: skip
