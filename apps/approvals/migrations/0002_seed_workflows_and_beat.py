"""Seed the first workflows and the every-minute deadline sweep (both idempotent)."""

from django.db import migrations

from apps.approvals.defaults import BEAT_NAME, ensure_beat_schedule, ensure_default_workflows


def seed(apps, schema_editor):
    ensure_default_workflows(
        apps.get_model("auth", "Group"),
        apps.get_model("approvals", "WorkflowDefinition"),
        apps.get_model("approvals", "WorkflowStep"),
    )
    ensure_beat_schedule(
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=BEAT_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("accounts", "0002_role_groups"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
