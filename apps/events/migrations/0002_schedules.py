"""The event center's beat entries (editable in the admin)."""

from django.db import migrations

from apps.core.schedules import remove
from apps.events.schedules import SCHEDULES, ensure_events_schedules


def create(apps, schema_editor):
    ensure_events_schedules(apps.get_model("django_celery_beat", "IntervalSchedule"),
                            apps.get_model("django_celery_beat", "PeriodicTask"))  # fmt: skip


def delete(apps, schema_editor):
    for name, _task, _seconds in SCHEDULES:
        remove(name, task_model=apps.get_model("django_celery_beat", "PeriodicTask"))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, delete)]
