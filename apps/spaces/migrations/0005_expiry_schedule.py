"""The expiry sweep of test spaces: backup, verification, then destruction (editable in the admin)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from apps.spaces.schedules import ensure_expiry_schedule

    ensure_expiry_schedule(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove_schedule(apps, schema_editor):
    from apps.spaces.schedules import EXPIRY_TASK_NAME

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=EXPIRY_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("spaces", "0004_reminder_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
