"""The event buffer between the web processes and the database: a Redis list.

A request appends its event to a small in-process batch (microseconds); the batch goes to
the Redis list in one pipelined LPUSH when it holds K2_ANALYTICS_FLUSH_SIZE events or is
K2_ANALYTICS_FLUSH_SECONDS old (a daemon thread flushes quiet processes; exit flushes too).
A Celery beat task (workers/analytics.py) drains the list into the database. Every web
process and worker shares the list, so nothing depends on which process served a request;
at most one second of one process's events is at risk if that process is killed.
"""

import atexit
import json
import logging
import os
import threading
import time

import redis
from django.conf import settings

from apps.core import redis_client

log = logging.getLogger(__name__)

QUEUE_KEY = "k2:analytics:events"  # the default of settings.K2_ANALYTICS_QUEUE_KEY
_last_warning = 0.0
dropped = 0  # events lost because Redis was unreachable (this process, since start)


def queue_key() -> str:
    return settings.K2_ANALYTICS_QUEUE_KEY


def client() -> redis.Redis:
    """The process's Redis client (short timeouts: a slow Redis never stalls a page)."""
    return redis_client.client()


def reset_client() -> None:
    redis_client.reset()


_pending: list[str] = []
_pending_lock = threading.Lock()
_pending_since = 0.0
_flusher_pid = 0


def _flush_size() -> int:
    return settings.K2_ANALYTICS_FLUSH_SIZE


def _flush_seconds() -> float:
    return settings.K2_ANALYTICS_FLUSH_SECONDS


def _warn(exc: Exception, count: int) -> None:
    global dropped, _last_warning
    dropped += count
    if time.monotonic() - _last_warning > 60:
        _last_warning = time.monotonic()
        log.warning("analytics: could not queue events (%s); %d dropped so far", exc, dropped)


def _ensure_flusher() -> None:
    """One daemon thread per process (restarted after a fork) flushes quiet processes."""
    global _flusher_pid
    if _flusher_pid == os.getpid():
        return
    _flusher_pid = os.getpid()

    def loop():
        while True:
            time.sleep(_flush_seconds())
            flush()

    threading.Thread(target=loop, name="k2-analytics-flush", daemon=True).start()


def push(event: dict, *, immediate: bool = False) -> bool:
    """Queue one event; never raises (analytics must not fail the request it describes)."""
    global _pending_since
    try:
        payload = json.dumps(event, separators=(",", ":"), default=str)
    except (TypeError, ValueError) as exc:
        _warn(exc, 1)
        return False
    with _pending_lock:
        if not _pending:
            _pending_since = time.monotonic()
        _pending.append(payload)
        due = (
            immediate
            or len(_pending) >= _flush_size()
            or time.monotonic() - _pending_since >= _flush_seconds()
        )
    _ensure_flusher()
    return flush() if due else True


def flush() -> bool:
    """Send this process's pending events to the Redis list in one LPUSH."""
    global _pending
    with _pending_lock:
        if not _pending:
            return True
        batch, _pending = _pending, []
    try:
        client().lpush(queue_key(), *batch)
        return True
    except Exception as exc:  # a Redis outage costs events, never requests
        _warn(exc, len(batch))
        return False


atexit.register(flush)
# A forked child (prefork workers, preloading servers) must not send its parent's batch again.
os.register_at_fork(after_in_child=lambda: _pending.clear())


def pop_batch(size: int) -> list[dict]:
    """Take up to `size` of the oldest events off the list, oldest first (atomic MULTI)."""
    pipe = client().pipeline(transaction=True)
    pipe.lrange(queue_key(), -size, -1)
    pipe.ltrim(queue_key(), 0, -size - 1)
    raw, _ = pipe.execute()
    events = []
    for item in reversed(raw):
        try:
            events.append(json.loads(item))
        except ValueError:
            log.warning("analytics: skipped an unreadable queued event")
    return events


def push_back(events: list[dict]) -> None:
    """Return events to the oldest end of the list, so a failed drain loses nothing."""
    if events:
        payload = [json.dumps(e, separators=(",", ":"), default=str) for e in events]
        client().rpush(queue_key(), *reversed(payload))


def depth() -> int:
    try:
        return int(client().llen(queue_key()))
    except Exception:
        return -1
