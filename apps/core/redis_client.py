"""The process's one Redis client on REDIS_URL (analytics buffer, reconciler locks).

One connection pool per process; redis-py's pool notices a fork and reconnects in the
child. Timeouts are short: a slow or absent Redis costs a page at most a second (the
analytics buffer then drops its batch and counts it) and a lock call fails instead of
hanging. The Django cache and the Channels layer keep their own clients (their backends
build them); /readyz builds a fresh one per probe so it tests a real connection.
"""

import threading

import redis
from django.conf import settings

_client: redis.Redis | None = None
_lock = threading.Lock()


def client() -> redis.Redis:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = redis.Redis.from_url(
                    settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=0.5
                )
    return _client


def reset() -> None:
    """Forget the client (after REDIS_URL changed, e.g. in tests)."""
    global _client
    with _lock:
        _client = None
