"""The terminal's beat entries: the stale-session sweep (every minute) and retention (hourly)."""

from django.db import migrations

from apps.core.schedules import migration_operation
from apps.terminal.schedules import SWEEP_TASK_NAME, ensure_schedules


class Migration(migrations.Migration):
    dependencies = [
        ("terminal", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migration_operation(ensure_schedules, SWEEP_TASK_NAME)]
