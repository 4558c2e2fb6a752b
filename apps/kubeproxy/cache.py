"""A few seconds' memory of who a proxy token is and what their role in a namespace is, so
that a LIST pays one Redis read instead of half a dozen queries before it is forwarded.

Each daphne process keeps its own entries, stamped with an access generation kept in
Redis: any change that may take access away (a session, personal token, user, membership
or placement saved or deleted, or an audited revocation or role change — those services
write with update()) bumps it after commit, and every process drops its entries at the next
request. K2_PROXY_CACHE_SECONDS bounds what no signal announces (0 turns the cache off);
open streams re-check without it (tokens.still_valid, policy.decide).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)
GENERATION_KEY = "kubeproxy:access-generation"
MAX_ENTRIES = 10_000
# Audited changes that may take access away, made with update() (no model signal).
ACCESS_ACTIONS = ("token.revoke", "k2ctl.session.revoke", "space.member.", "user.")

_entries: dict[tuple, tuple[int, float, Any]] = {}


def generation() -> int:
    """The current access generation (one Redis read); -1 when Redis does not answer."""
    try:
        return int(cache.get(GENERATION_KEY) or 0)
    except Exception:  # noqa: BLE001 - no Redis: no cache, never stale answers
        return -1


def get(key: tuple, gen: int) -> Any | None:
    ttl = settings.K2_PROXY_CACHE_SECONDS
    entry = _entries.get(key)
    if gen < 0 or ttl <= 0 or entry is None:
        return None
    if entry[0] != gen or time.monotonic() - entry[1] >= ttl:
        _entries.pop(key, None)
        return None
    return entry[2]


def put(key: tuple, gen: int, value: Any) -> None:
    if gen < 0 or settings.K2_PROXY_CACHE_SECONDS <= 0:
        return
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[key] = (gen, time.monotonic(), value)


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there yet
        cache.add(GENERATION_KEY, 1, timeout=None)
    except Exception:  # noqa: BLE001 - the TTL still bounds it
        log.warning("kubeproxy: could not announce an access change", exc_info=True)


def bump() -> None:
    """Announce an access change, once the caller's transaction commits."""
    transaction.on_commit(_bump)


def on_model_change(sender, **kwargs) -> None:
    bump()


def on_audit(sender, instance, created=False, **kwargs) -> None:
    if created and instance.action.startswith(ACCESS_ACTIONS):
        bump()
