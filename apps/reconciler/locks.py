"""One pass per cluster at a time, across every worker: a Redis lock that dies with its owner.

The lock's value names its owner (host, process, thread, token) so a stuck lock can be
traced. It lives K2_LOCK_TTL_SECONDS (10 s) and its owner's heartbeat thread renews it
while it is held (apps/operations/locks.py), so a worker killed mid-pass frees the
cluster within seconds and the next pass takes over; a live holder keeps it for at most
K2_RECONCILE_LOCK_SECONDS after its last acquire or extend (a holder extends it between
phases of a long pass).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading

from django.conf import settings

from apps.operations.locks import OwnedLock


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


class ClusterLock:
    """with ClusterLock(cluster_id).hold(wait=...) as held: ... (held is False: not acquired)."""

    def __init__(self, cluster_id: int, *, name: str = "pass"):
        self.key = f"k2:reconcile:{name}:{cluster_id}"
        self.seconds = settings.K2_RECONCILE_LOCK_SECONDS
        self._lock = OwnedLock(self.key, max_seconds=self.seconds)
        self.owner = self._lock.owner

    def acquire(self, *, wait: float = 0) -> bool:
        return self._lock.acquire(wait=wait)

    def extend(self) -> None:
        """Push the expiry out again (called between the phases of a long pass)."""
        self._lock.extend()

    def release(self) -> None:
        # Expired meanwhile: someone else may hold it now; theirs is left alone.
        self._lock.release()

    @contextlib.contextmanager
    def hold(self, *, wait: float = 0):
        held = self.acquire(wait=wait)
        try:
            yield held
        finally:
            if held:
                self.release()

    def holder(self) -> str:
        return self._lock.holder()

    def held_by_live_owner(self) -> bool:
        """Another live process holds it: a caller should wait its turn, not give up."""
        return self._lock.held_by_live_owner()
