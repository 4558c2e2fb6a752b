"""The beat schedule of cluster probes, kept in django_celery_beat's tables by name.

Created by migration 0002 (and `manage.py setup_cluster_schedules`); admins may edit the
interval in the Django admin afterwards. Other schedules are never touched.
"""

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

PROBE_TASK_NAME = "clusters: probe every enabled cluster"
PROBE_TASK = "workers.clusters.probe_all_clusters"


def ensure_probe_schedule(interval_model=None, task_model=None, *, reset_interval=False) -> None:
    """Create (or repoint) the periodic probe task; keep an admin-edited interval."""
    interval_model = interval_model or IntervalSchedule
    task_model = task_model or PeriodicTask
    seconds = settings.K2_CLUSTER_PROBE_INTERVAL
    interval, _created = interval_model.objects.get_or_create(every=seconds, period="seconds")
    existing = task_model.objects.filter(name=PROBE_TASK_NAME).first()
    defaults = {"task": PROBE_TASK, "enabled": True, "expire_seconds": seconds}
    if existing is None or reset_interval:
        defaults["interval"] = interval
    task_model.objects.update_or_create(name=PROBE_TASK_NAME, defaults=defaults)
