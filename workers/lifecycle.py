"""The expiry sweep of test spaces (beat, hourly; each finished expiry asks for the next)."""

from celery import shared_task


@shared_task(name="workers.lifecycle.sweep_expired", ignore_result=True)
def sweep_expired() -> dict:
    """Start the expiry (backup, verify, destroy) of expired test spaces."""
    from apps.spaces.lifecycle import do_sweep_expired  # workers/ load before Django's apps

    return do_sweep_expired()
