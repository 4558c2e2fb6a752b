"""The beat entries of the terminal (created by migration 0002, editable in the admin)."""

from apps.core.schedules import ensure_interval

SWEEP_TASK_NAME = "terminal: end sessions whose server stopped"
PRUNE_TASK_NAME = "terminal: delete recordings past retention"


def ensure_schedules(interval_model=None, task_model=None) -> None:
    ensure_interval(SWEEP_TASK_NAME, "workers.terminal.sweep", 60,
                    interval_model=interval_model, task_model=task_model)  # fmt: skip
    ensure_interval(PRUNE_TASK_NAME, "workers.terminal.prune", 3600,
                    interval_model=interval_model, task_model=task_model)  # fmt: skip
