"""Operation tasks: run one operation under its lease; the sweep (beat, every minute).

Thin and idempotent: a duplicate delivery finds the operation final or leased by a live
worker and returns; a delivery after its worker died takes the lease over and continues
at the step that did not finish.
"""

from celery import shared_task

from apps.operations.services import do_sweep_operations
from apps.operations.services import run_operation as run


@shared_task(name="workers.operations.run_operation", bind=True, acks_late=True,
             max_retries=20)  # fmt: skip
def run_operation(self, operation_id: int) -> str | None:
    return run(operation_id)


@shared_task(name="workers.operations.sweep", expires=55, ignore_result=True)
def sweep() -> dict:
    """Resume operations whose worker is gone, then press retry on stuck spaces and apps."""
    return do_sweep_operations()
