"""The beat entry of IPAM cleanup, kept in django_celery_beat's tables by name.

One entry every minute looks for clusters whose own interval (their IPAM policy,
default 10 minutes) has passed and starts one run per cluster, each its own operation
on the `bulk` queue, so clusters run in parallel and one slow cluster delays no other.
"""

from apps.core.schedules import ensure_interval

SCHEDULE_TASK_NAME = "ipam: scan clusters that are due"
SCHEDULE_TASK = "workers.ipam.schedule_due"
SCHEDULE_SECONDS = 60


def ensure_ipam_schedule(interval_model=None, task_model=None) -> None:
    ensure_interval(SCHEDULE_TASK_NAME, SCHEDULE_TASK, SCHEDULE_SECONDS,
                    interval_model=interval_model, task_model=task_model)  # fmt: skip
