"""Locks that die with their owner (issue 13, found #1: a lock held by a killed process
kept an app stuck for minutes). The reconciler's ClusterLock is one."""

import os
import subprocess
import sys
import time

import pytest
from celery.exceptions import Retry

from apps.operations.locks import OwnedLock
from apps.reconciler.locks import ClusterLock

CHILD = """
import os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k2cloud.settings")
django.setup()
from apps.reconciler.locks import ClusterLock
lock = ClusterLock(int(sys.argv[1]))
assert lock.acquire()
print(lock.owner, flush=True)
time.sleep(600)
"""


def _holder_in_another_process(cluster_id: int, ttl: float):
    env = dict(os.environ, K2_LOCK_TTL_SECONDS=str(ttl))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(cluster_id)], env=env,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    owner = proc.stdout.readline().strip()
    assert owner, "the child process did not take the lock"
    return proc, owner


def test_a_lock_held_by_a_killed_process_is_free_within_seconds(settings):
    """Regression: kill -9 the holder mid-pass; the next pass gets the cluster in seconds
    (the TTL), not after K2_RECONCILE_LOCK_SECONDS (300)."""
    settings.K2_LOCK_TTL_SECONDS = 2
    proc, owner = _holder_in_another_process(9101, ttl=2)
    try:
        contender = ClusterLock(9101)
        assert contender.holder() == owner
        time.sleep(3)  # longer than the TTL: the live holder's heartbeat kept it
        assert contender.holder() == owner and not contender.acquire()
        assert contender.held_by_live_owner()  # a redelivered task waits its turn
    finally:
        proc.kill()
        proc.wait()
    assert contender.acquire(wait=10)  # within seconds of the kill, not after 300 s
    assert contender.holder() == contender.owner
    contender.release()
    assert contender.holder() == ""  # nothing left behind


def test_release_leaves_someone_elses_lock_alone(settings):
    settings.K2_LOCK_TTL_SECONDS = 0.5
    first = OwnedLock("k2:tests:lock:release")
    assert first.acquire()
    first._held = False  # simulate a holder that stopped renewing (hung past its maximum)
    time.sleep(0.8)
    second = OwnedLock("k2:tests:lock:release")
    assert second.acquire()
    first.release()  # late: must not free the second owner's lock
    assert second.holder() == second.owner
    second.release()


def test_a_live_holder_keeps_the_lock_past_its_ttl(settings):
    settings.K2_LOCK_TTL_SECONDS = 0.4
    lock = OwnedLock("k2:tests:lock:renewed", max_seconds=30)
    assert lock.acquire()
    time.sleep(1.2)
    other = OwnedLock("k2:tests:lock:renewed")
    assert not other.acquire() and lock.holder() == lock.owner
    lock.release()
    assert other.acquire()
    other.release()


@pytest.mark.django_db
def test_a_redelivered_pass_waits_its_turn_instead_of_spending_retries(settings, monkeypatch):
    from apps.clusters.models import Cluster
    from workers.reconcile import reconcile_cluster

    settings.K2_RECONCILE_LOCK_WAIT = 0.2
    cluster = Cluster.objects.create(name="busy-1", environment="test",
                                     api_url="https://127.0.0.1:1")  # fmt: skip
    held = ClusterLock(cluster.pk)
    assert held.acquire()
    asked = {}

    def retry(**kwargs):
        asked.update(kwargs)
        return Retry("later")

    monkeypatch.setattr(reconcile_cluster, "retry", retry)
    try:
        with pytest.raises(Retry):
            reconcile_cluster(cluster.pk, trigger="manual")
    finally:
        held.release()
    assert asked["max_retries"] is None and asked["countdown"] > 0
