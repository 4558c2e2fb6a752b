"""Follow-up looks in flight: which apps a worker promised to look at again.

A rollout under way is followed by delayed looks (workers.reconcile.reconcile_app with a
countdown). Celery keeps a delayed task in the worker that reserved it, unacknowledged;
when that worker is killed, Redis gives the task back only after the visibility timeout
(an hour), so the app would stay `deploying` although its rollout finished. Each promise
therefore leaves a key `k2:follow:app:<id>` that lives for the countdown plus
K2_STUCK_AFTER_SECONDS: while it lives the stuck sweep (apps/operations/stuck.py) leaves
the app to its follow-up; once it is gone and the app has not moved for the period, the
sweep presses retry, which applies again and starts a new chain of looks.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings

from apps.core import redis_client

log = logging.getLogger(__name__)


def _key(app_id: int) -> str:
    return f"k2:follow:app:{app_id}"


def promise(app_id: int, again_in: float) -> None:
    """Note that app `app_id` will be looked at again in `again_in` seconds."""
    ttl = again_in + settings.K2_STUCK_AFTER_SECONDS
    try:
        redis_client.client().set(_key(app_id), "1", px=int(ttl * 1000))
    except redis.RedisError as exc:  # the sweep then presses once the period is over
        log.warning("follow-up of app %s not noted: %s", app_id, exc)


def awaited(app_ids: list[int]) -> set[int]:
    """The apps among `app_ids` with a follow-up look still to come (all of them when
    Redis cannot tell: never press on a hiccup)."""
    if not app_ids:
        return set()
    try:
        pipe = redis_client.client().pipeline(transaction=False)
        for app_id in app_ids:
            pipe.exists(_key(app_id))
        return {app_id for app_id, found in zip(app_ids, pipe.execute(), strict=True) if found}
    except redis.RedisError:
        return set(app_ids)
