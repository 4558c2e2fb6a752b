"""The hourly expiry reminders of test spaces (editable in the admin)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from apps.spaces.schedules import ensure_reminder_schedule

    ensure_reminder_schedule(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove_schedule(apps, schema_editor):
    from apps.spaces.schedules import REMINDER_TASK_NAME

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=REMINDER_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("spaces", "0003_space_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
