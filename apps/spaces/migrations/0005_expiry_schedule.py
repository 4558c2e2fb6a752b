"""The expiry sweep of test spaces: backup, verification, then destruction (editable in the admin)."""

from django.db import migrations

from apps.core.schedules import migration_operation
from apps.spaces.schedules import EXPIRY_TASK_NAME, ensure_expiry_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("spaces", "0004_reminder_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migration_operation(ensure_expiry_schedule, EXPIRY_TASK_NAME)]
