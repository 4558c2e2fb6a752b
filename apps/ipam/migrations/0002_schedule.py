"""The IPAM beat entry, every minute (editable in the admin)."""

from django.db import migrations

from apps.core.schedules import migration_operation
from apps.ipam.schedules import SCHEDULE_TASK_NAME, ensure_ipam_schedule


class Migration(migrations.Migration):
    dependencies = [
        ("ipam", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migration_operation(ensure_ipam_schedule, SCHEDULE_TASK_NAME)]
