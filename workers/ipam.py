"""IPAM tasks: the beat's fan-out. Runs themselves are operations (kind "ipam.run",
workers/operations.py runs them on `bulk`)."""

from celery import shared_task


@shared_task(name="workers.ipam.schedule_due", expires=55, ignore_result=True)
def schedule_due() -> dict:
    """Start a run of every cluster whose IPAM interval has passed."""
    from apps.ipam.services import do_schedule_due

    return do_schedule_due()
