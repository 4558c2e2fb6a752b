"""Tamper evidence: 50 concurrent writers on PostgreSQL still make one valid chain."""

import threading

import pytest
from django.db import connection

from apps.audit.actors import Actor
from apps.audit.hashing import GENESIS_HASH
from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.audit.verify import verify_chain

WRITERS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_writers_produce_one_valid_chain(require_postgres):
    barrier = threading.Barrier(WRITERS)
    errors = []

    def write(i):
        try:
            barrier.wait(timeout=30)
            record(Actor.system(f"writer-{i}"), "test.concurrent", ("tests.thing", i, f"t{i}"))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) == WRITERS
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    report = verify_chain()
    assert report.ok and report.checked == WRITERS
