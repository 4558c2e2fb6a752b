"""A leader lease in Redis: one holder per name (SET NX PX), renewed by its holder and
given up on stop, so two replicas of a watcher never both follow the same cluster. A
holder that dies loses the lease when it expires."""

from __future__ import annotations

import os
import socket
import uuid

from apps.core import redis_client

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


class Lease:
    def __init__(self, name: str, ttl: float = 15.0, client=None):
        self.key = f"k2:lease:{name}"
        self.ttl_ms = int(ttl * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._client = client

    @property
    def client(self):
        return self._client or redis_client.client()

    def acquire(self) -> bool:
        """Take the lease if free, or keep it if already ours; whether we hold it."""
        if self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            return True
        return self.renew()

    def renew(self) -> bool:
        return bool(self.client.eval(_RENEW, 1, self.key, self.token, self.ttl_ms))

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.key, self.token)

    def holder(self) -> str:
        value = self.client.get(self.key)
        return value.decode() if isinstance(value, bytes) else (value or "")
