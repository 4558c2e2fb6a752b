"""The periodic probe of every enabled cluster (every 30 s; editable in the admin)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from apps.clusters.schedules import ensure_probe_schedule

    ensure_probe_schedule(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove_schedule(apps, schema_editor):
    from apps.clusters.schedules import PROBE_TASK_NAME

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=PROBE_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
