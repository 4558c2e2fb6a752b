"""The hourly expiry reminders of test spaces (editable in the admin)."""

from django.db import migrations

from apps.core.schedules import migration_operation
from apps.spaces.schedules import REMINDER_TASK_NAME, ensure_reminder_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("spaces", "0003_space_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migration_operation(ensure_reminder_schedule, REMINDER_TASK_NAME)]
