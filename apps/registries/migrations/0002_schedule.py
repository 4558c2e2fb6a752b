"""The registries beat entry, every 5 minutes (editable in the admin)."""

from django.db import migrations

from apps.core.schedules import migration_operation
from apps.registries.schedules import SCHEDULE_TASK_NAME, ensure_registries_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("registries", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migration_operation(ensure_registries_schedule, SCHEDULE_TASK_NAME)]
