"""Backup retention, hourly (editable in the admin)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from apps.backups.schedules import ensure_prune_schedule

    ensure_prune_schedule(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove_schedule(apps, schema_editor):
    from apps.backups.schedules import PRUNE_TASK_NAME

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=PRUNE_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("backups", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
