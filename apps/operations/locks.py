"""A Redis lock that dies with its owner.

The key holds its owner (`<process>/<thread>/<token>`, see liveness.py) and a short TTL
(K2_LOCK_TTL_SECONDS) that the owner's heartbeat thread renews while the lock is held,
up to `max_seconds` after the last acquire or extend (a holder that hangs lets go too).
So a worker killed with SIGKILL loses its lock within seconds, not minutes. A contender
that finds the key held by a process whose liveness key has expired takes it over at
once (compare-and-set, so two contenders never both win).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid

import redis

from apps.operations import liveness

# KEYS[1] = lock; ARGV = token, ttl ms
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""
# KEYS[1] = lock; ARGV = expected dead owner, new token, ttl ms
_TAKE_OVER = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""


class OwnedLock:
    """with OwnedLock("k2:…").hold(): … — or acquire(wait=…) / release()."""

    def __init__(self, key: str, *, max_seconds: float = 300):
        self.key = key
        self.max_seconds = float(max_seconds)
        self.owner = (
            f"{liveness.process_id()}/{threading.current_thread().name}/{uuid.uuid4().hex[:8]}"
        )
        self._until = 0.0
        self._held = False

    def _ttl_ms(self) -> int:
        return max(int(liveness.ttl_seconds() * 1000), 100)

    def _try(self) -> bool:
        r = liveness.client()
        if r.set(self.key, self.owner, nx=True, px=self._ttl_ms()):
            return True
        holder = r.get(self.key)
        if holder and not liveness.is_alive(holder.decode()):
            return bool(r.eval(_TAKE_OVER, 1, self.key, holder, self.owner, self._ttl_ms()))
        return False

    def acquire(self, *, wait: float = 0) -> bool:
        """Take the lock (waiting up to `wait` seconds while a live owner holds it)."""
        deadline = time.monotonic() + max(wait, 0)
        while True:
            if self._try():
                self._held = True
                self._until = time.monotonic() + self.max_seconds
                liveness.add_beat(self.key + "#" + self.owner, self._beat)
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def _beat(self) -> bool:
        if not self._held or time.monotonic() > self._until:
            return False
        return bool(liveness.client().eval(_RENEW, 1, self.key, self.owner, self._ttl_ms()))

    def extend(self) -> None:
        """Push the maximum hold out again (between the phases of a long job)."""
        if self._held:
            self._until = time.monotonic() + self.max_seconds
            self._beat()

    def release(self) -> None:
        """Let go; a lock that expired meanwhile and is someone else's now stays theirs."""
        self._held = False
        liveness.remove_beat(self.key + "#" + self.owner)
        with contextlib.suppress(redis.RedisError):  # it expires within the TTL anyway
            liveness.client().eval(_RELEASE, 1, self.key, self.owner)

    def holder(self) -> str:
        value = liveness.client().get(self.key)
        return value.decode() if value else ""

    def held_by_live_owner(self) -> bool:
        """Someone else holds it and their process is alive (so waiting makes sense)."""
        holder = self.holder()
        return bool(holder) and holder != self.owner and liveness.is_alive(holder)
