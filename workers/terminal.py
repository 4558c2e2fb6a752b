"""Terminal housekeeping (beat): end sessions whose server died, delete old recordings."""

from celery import shared_task


@shared_task(name="workers.terminal.sweep", ignore_result=True)
def sweep() -> int:
    """End sessions no server has touched for a while (a killed daphne) and upload what
    their spools hold."""
    from apps.terminal.sessions import sweep_stale  # workers/ load before Django's apps

    return sweep_stale()


@shared_task(name="workers.terminal.prune", ignore_result=True)
def prune() -> int:
    """Delete recordings and command logs past K2_TERMINAL_RECORDING_DAYS."""
    from apps.terminal.sessions import prune_recordings

    return prune_recordings()
