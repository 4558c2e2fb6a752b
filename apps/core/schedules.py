"""Beat entries that K2Cloud creates for itself, kept in django_celery_beat's tables by name.

Each app's data migration calls `ensure_interval(...)` with its entry; admins may edit the
interval in the Django admin afterwards (an existing entry keeps its interval) and other
schedules are never touched. Migrations pass their historical models.
"""

from __future__ import annotations

from django.db import migrations
from django_celery_beat.models import IntervalSchedule, PeriodicTask


def ensure_interval(name: str, task: str, seconds: int, *, interval_model=None,
                    task_model=None) -> None:  # fmt: skip
    """Create (or re-enable) the entry `name` running `task` every `seconds`."""
    interval_model = interval_model or IntervalSchedule
    task_model = task_model or PeriodicTask
    existing = task_model.objects.filter(name=name).first()
    defaults = {"task": task, "enabled": True, "expire_seconds": max(seconds - 5, 1)}
    if existing is None:
        defaults["interval"], _ = interval_model.objects.get_or_create(
            every=seconds, period="seconds"
        )
    task_model.objects.update_or_create(name=name, defaults=defaults)


def remove(name: str, *, task_model=None) -> None:
    task_model = task_model or PeriodicTask
    task_model.objects.filter(name=name).delete()


def migration_operation(ensure, name: str):
    """The RunPython of a data migration that creates the beat entry `name` with `ensure`
    (an `ensure_*_schedule(interval_model, task_model)`) and removes it when unapplied."""

    def create(apps, schema_editor):
        ensure(apps.get_model("django_celery_beat", "IntervalSchedule"),
               apps.get_model("django_celery_beat", "PeriodicTask"))  # fmt: skip

    def delete(apps, schema_editor):
        remove(name, task_model=apps.get_model("django_celery_beat", "PeriodicTask"))

    return migrations.RunPython(create, delete)
