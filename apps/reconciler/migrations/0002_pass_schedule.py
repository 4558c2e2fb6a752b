"""The periodic full pass of every cluster (every 60 s; editable in the admin)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    from apps.reconciler.schedules import ensure_pass_schedule

    ensure_pass_schedule(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove_schedule(apps, schema_editor):
    from apps.reconciler.schedules import PASS_TASK_NAME

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=PASS_TASK_NAME
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reconciler", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
