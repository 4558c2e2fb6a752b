"""One pass per cluster at a time, across every worker: a Redis lock with owner and expiry.

The lock's value names its owner (host, process, thread, pass) so a stuck lock can be
traced; it expires after K2_RECONCILE_LOCK_SECONDS even if its holder died, and a holder
extends it between phases of a long pass.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid

import redis
from django.conf import settings

from apps.core.redis_client import client


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


class ClusterLock:
    """with ClusterLock(cluster_id).hold(wait=...) as held: ... (held is False: not acquired)."""

    def __init__(self, cluster_id: int, *, name: str = "pass"):
        self.key = f"k2:reconcile:{name}:{cluster_id}"
        self.seconds = settings.K2_RECONCILE_LOCK_SECONDS
        self.owner = f"{owner_name()}:{uuid.uuid4().hex[:8]}"
        self._lock = client().lock(self.key, timeout=self.seconds, thread_local=False)

    def acquire(self, *, wait: float = 0) -> bool:
        if wait:
            return bool(self._lock.acquire(blocking=True, blocking_timeout=wait,
                                           token=self.owner))  # fmt: skip
        return bool(self._lock.acquire(blocking=False, token=self.owner))

    def extend(self) -> None:
        """Push the expiry out again (called between the phases of a long pass)."""
        with contextlib.suppress(redis.exceptions.LockError):
            self._lock.reacquire()

    def release(self) -> None:
        # Expired meanwhile: someone else may hold it now; theirs is left alone.
        with contextlib.suppress(redis.exceptions.LockError):
            self._lock.release()

    def holder(self) -> str:
        value = client().get(self.key)
        return value.decode() if value else ""
