"""The sweep of operations and stuck states, every minute (editable in the admin)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from apps.operations.schedules import ensure_sweep_schedule

    ensure_sweep_schedule(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove_schedule(apps, schema_editor):
    from apps.operations.schedules import SWEEP_TASK_NAME

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=SWEEP_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
