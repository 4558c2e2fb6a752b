"""Analytics tasks (beat): drain the Redis queue, roll days up, forward, purge. Thin and
idempotent: each calls one service; a duplicate run does no harm."""

from datetime import date

from celery import shared_task

from apps.analytics.services import (
    do_drain_events,
    do_forward_events,
    do_purge_expired,
    do_refresh_today,
    do_rollup_day,
    do_rollup_recent,
)


@shared_task(name="workers.analytics.drain_events", expires=10)
def drain_events() -> int:
    """Write queued usage and domain events to the database (every 10 s); when some were
    written, today's rollup follows if it is older than K2_ANALYTICS_TODAY_MAX_AGE."""
    written = do_drain_events()
    if written:
        do_refresh_today()
    return written


@shared_task(name="workers.analytics.rollup_recent", expires=600)
def rollup_recent() -> list[str]:
    """Recompute today's and yesterday's rollups (replaces them; every 15 min)."""
    return do_rollup_recent()


@shared_task(name="workers.analytics.rollup_day")
def rollup_day(day: str) -> int:
    """Recompute one day (ISO date), e.g. after a backfill; returns its request count."""
    run = do_rollup_day(date.fromisoformat(day))
    return run.requests if run else 0


@shared_task(name="workers.analytics.forward_events", expires=15)
def forward_events() -> dict:
    """Send pending events to K2_ANALYTICS_FORWARD_URL (no-op when unset)."""
    return do_forward_events()


@shared_task(name="workers.analytics.purge_expired", expires=3600)
def purge_expired() -> dict:
    """Delete raw events and rollups past their retention."""
    return do_purge_expired()
