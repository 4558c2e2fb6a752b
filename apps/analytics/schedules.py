"""The beat schedule of analytics tasks, kept in django_celery_beat's tables by name.

Created by migration 0002 (update_or_create by name; other schedules are never touched).
Admins may edit the intervals in the Django admin afterwards; a re-run keeps their edits.
"""

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

SCHEDULES = {
    # name: (task, setting with the interval in seconds)
    "analytics: drain queued usage events": (
        "workers.analytics.drain_events",
        "K2_ANALYTICS_DRAIN_INTERVAL",
    ),
    "analytics: roll up today and yesterday": (
        "workers.analytics.rollup_recent",
        "K2_ANALYTICS_ROLLUP_INTERVAL",  # today also follows each drain (K2_ANALYTICS_TODAY_MAX_AGE)
    ),
    "analytics: forward events to the external endpoint": (
        "workers.analytics.forward_events",
        "K2_ANALYTICS_FORWARD_INTERVAL",
    ),
    "analytics: purge events past retention": (
        "workers.analytics.purge_expired",
        "K2_ANALYTICS_PURGE_INTERVAL",
    ),
}


def ensure_schedules(interval_model=None, task_model=None) -> None:
    interval_model = interval_model or IntervalSchedule
    task_model = task_model or PeriodicTask
    for name, (task, setting) in SCHEDULES.items():
        seconds = getattr(settings, setting)  # declared in settings.py, no default here
        existing = task_model.objects.filter(name=name).first()
        defaults = {"task": task, "enabled": True, "expire_seconds": seconds}
        if existing is None:
            interval, _created = interval_model.objects.get_or_create(
                every=seconds, period="seconds"
            )
            defaults["interval"] = interval
        task_model.objects.update_or_create(name=name, defaults=defaults)
