"""The beat entry of registries, every 5 minutes: retention runs of registries whose
interval (K2_REGISTRY_RUN_INTERVAL_SECONDS, default daily) has passed, and the GC of
registries whose GC hour (default 03:00, the installation's time zone) has come."""

from apps.core.schedules import ensure_interval

SCHEDULE_TASK_NAME = "registries: retention and GC that are due"
SCHEDULE_TASK = "workers.registries.schedule_due"
SCHEDULE_SECONDS = 300


def ensure_registries_schedule(interval_model=None, task_model=None) -> None:
    ensure_interval(SCHEDULE_TASK_NAME, SCHEDULE_TASK, SCHEDULE_SECONDS,
                    interval_model=interval_model, task_model=task_model)  # fmt: skip
