"""Which worker processes are alive, and the one heartbeat thread per process that says so.

Every process that holds a lock or runs an operation has an id (host, pid and a random
part, new after a fork) and a key `k2:alive:<id>` in Redis with a short TTL
(K2_LOCK_TTL_SECONDS, default 10 s). A daemon thread renews that key, the process's
locks and its operations' leases every quarter of the TTL. A process killed with
SIGKILL stops renewing: its key, its locks and (a little later) its leases expire on
their own, and anyone may then take them over. A live process that is merely slow keeps
them, so work is never run twice at the same time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

import redis
from django.conf import settings

from apps.core import redis_client

log = logging.getLogger(__name__)
ALIVE_PREFIX = "k2:alive:"

_state_lock = threading.Lock()
_pid: int | None = None
_process_id = ""
_beats: dict[str, Callable[[], bool]] = {}
_thread: threading.Thread | None = None


def ttl_seconds() -> float:
    return settings.K2_LOCK_TTL_SECONDS


def _reset_after_fork() -> None:
    global _pid, _process_id, _beats, _thread
    if _pid != os.getpid():
        _pid = os.getpid()
        _process_id = f"{socket.gethostname()}:{_pid}:{uuid.uuid4().hex[:6]}"
        _beats = {}
        _thread = None


def client() -> redis.Redis:
    """The process's one Redis client (apps/core/redis_client.py; redis-py's pool
    reconnects in a forked child)."""
    return redis_client.client()


def process_id() -> str:
    """This process's id: `host:pid:random` (a restarted worker never reuses one)."""
    with _state_lock:
        _reset_after_fork()
        return _process_id


def process_of(owner: str) -> str:
    """The process id part of a lock or lease owner (`<process>/<thread>/<token>`)."""
    return (owner or "").split("/", 1)[0]


def is_alive(owner: str) -> bool:
    """Whether the process named in `owner` renewed its liveness key within the TTL."""
    process = process_of(owner)
    if not process:
        return False
    if process == process_id():
        return True
    try:
        return bool(client().exists(ALIVE_PREFIX + process))
    except redis.RedisError:
        return True  # unknown: assume alive (never take over on a Redis hiccup)


def _mark_alive() -> None:
    client().set(ALIVE_PREFIX + process_id(), "1", px=int(ttl_seconds() * 1000))


def _beat_once() -> None:
    try:
        _mark_alive()
    except redis.RedisError as exc:
        log.warning("heartbeat: Redis unreachable: %s", exc)
    with _state_lock:
        beats = list(_beats.items())
    for name, beat in beats:
        try:
            keep = beat()
        except Exception:  # one broken renewal must not stop the others
            log.exception("heartbeat of %s", name)
            keep = True
        if not keep:
            with _state_lock:
                _beats.pop(name, None)


def _run() -> None:
    last = time.monotonic()
    while True:
        time.sleep(0.1)  # short naps: a TTL changed meanwhile takes effect at once
        with _state_lock:
            if _thread is not threading.current_thread():
                return  # forked away or replaced
        if time.monotonic() - last >= max(ttl_seconds() / 4, 0.1):
            last = time.monotonic()
            _beat_once()


def add_beat(name: str, beat: Callable[[], bool]) -> None:
    """Call `beat()` on every heartbeat until it returns False or remove_beat(name).

    Marks the process alive at once and starts the heartbeat thread if needed.
    """
    global _thread
    _mark_alive()
    with _state_lock:
        _reset_after_fork()
        _beats[name] = beat
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="k2-heartbeat", daemon=True)
            _thread.start()


def remove_beat(name: str) -> None:
    with _state_lock:
        _beats.pop(name, None)
