"""Backup retention, hourly (editable in the admin)."""

from django.db import migrations

from apps.core.schedules import migration_operation
from apps.backups.schedules import PRUNE_TASK_NAME, ensure_prune_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("backups", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migration_operation(ensure_prune_schedule, PRUNE_TASK_NAME)]
