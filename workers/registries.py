"""Registry tasks: the beat's fan-out. Runs and GC are operations ("registries.run",
"registries.gc") that workers/operations.py runs."""

from celery import shared_task


@shared_task(name="workers.registries.schedule_due", expires=280, ignore_result=True)
def schedule_due() -> dict:
    """Start the retention runs and GCs that are due."""
    from apps.registries.services import do_schedule_due

    return do_schedule_due()
