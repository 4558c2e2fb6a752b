"""The analytics beat schedules: drain, rollup, forward, purge (editable in the admin)."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from apps.analytics.schedules import ensure_schedules

    ensure_schedules(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove_schedules(apps, schema_editor):
    from apps.analytics.schedules import SCHEDULES

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=list(SCHEDULES)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
