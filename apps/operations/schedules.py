"""The beat entry of the sweep (created by migration 0002 through apps/core/schedules.py)."""

from apps.core.schedules import ensure_interval

SWEEP_TASK_NAME = "operations: resume work whose worker died, retry stuck spaces and apps"
SWEEP_TASK = "workers.operations.sweep"
SWEEP_SECONDS = 60


def ensure_sweep_schedule(interval_model=None, task_model=None) -> None:
    ensure_interval(SWEEP_TASK_NAME, SWEEP_TASK, SWEEP_SECONDS, interval_model=interval_model,
                    task_model=task_model)  # fmt: skip
