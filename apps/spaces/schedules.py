"""The beat entry of the expiry reminders, kept in django_celery_beat's tables by name.

Created by migration 0004; admins may edit the interval in the Django admin afterwards
(an existing entry keeps its interval). Other schedules are never touched.
"""

REMINDER_TASK_NAME = "spaces: remind owners of test spaces about to expire"
REMINDER_TASK = "workers.spaces.send_expiry_reminders"
REMINDER_SECONDS = 3600


def ensure_reminder_schedule(interval_model=None, task_model=None) -> None:
    if interval_model is None:
        from django_celery_beat.models import IntervalSchedule as interval_model
        from django_celery_beat.models import PeriodicTask as task_model
    existing = task_model.objects.filter(name=REMINDER_TASK_NAME).first()
    defaults = {"task": REMINDER_TASK, "enabled": True, "expire_seconds": REMINDER_SECONDS - 300}
    if existing is None:
        defaults["interval"], _ = interval_model.objects.get_or_create(
            every=REMINDER_SECONDS, period="seconds"
        )
    task_model.objects.update_or_create(name=REMINDER_TASK_NAME, defaults=defaults)


EXPIRY_TASK_NAME = "spaces: back up and destroy expired test spaces"
EXPIRY_TASK = "workers.lifecycle.sweep_expired"


def ensure_expiry_schedule(interval_model=None, task_model=None) -> None:
    """The expiry sweep, every K2_EXPIRY_SWEEP_MINUTES (migration 0005)."""
    from django.conf import settings

    from apps.core.schedules import ensure_interval

    ensure_interval(EXPIRY_TASK_NAME, EXPIRY_TASK, settings.K2_EXPIRY_SWEEP_MINUTES * 60,
                    interval_model=interval_model, task_model=task_model)  # fmt: skip
