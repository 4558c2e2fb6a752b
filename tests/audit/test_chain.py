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


@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_that_recorded_does_not_hold_up_other_writers(require_postgres):
    """The chain lock is no longer held to the recording transaction's commit: another
    writer records and commits while the first is still open; both end up in one chain."""
    from django.db import transaction

    recorded, release, done = threading.Event(), threading.Event(), threading.Event()
    errors = []

    def slow():
        try:
            with transaction.atomic():
                record(Actor.system("slow"), "test.slow", ("tests.thing", 1, "slow"))
                recorded.set()
                release.wait(timeout=30)  # still inside its transaction: other work
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    def quick():
        try:
            with transaction.atomic():
                record(Actor.system("quick"), "test.quick", ("tests.thing", 2, "quick"))
            done.set()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=slow)
    first.start()
    assert recorded.wait(timeout=30)
    second = threading.Thread(target=quick)
    second.start()
    committed_meanwhile = done.wait(timeout=10)
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert errors == []
    assert committed_meanwhile, "the second writer waited for the first one's commit"
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.action for e in events] == ["test.quick", "test.slow"]  # sealed in commit order
    assert all(e.is_sealed for e in events)
    assert events[0].prev_hash == GENESIS_HASH and events[1].prev_hash == events[0].hash
    report = verify_chain()
    assert report.ok and report.checked == 2 and report.unsealed == 0


@pytest.mark.django_db
def test_verify_reports_unsealed_events_and_the_sealer_links_them():
    from django.core.management import call_command
    from django.db import transaction

    from workers.audit import seal_chain as task

    record(Actor.system("tests"), "test.sealed-at-once")
    with transaction.atomic():  # inside the test's transaction: never committed, so unsealed
        pending = record(Actor.system("tests"), "test.in-a-transaction")
        record(Actor.system("tests"), "test.in-a-transaction")
    assert pending.hash == "" and AuditEvent.objects.filter(seq__isnull=True).count() == 2
    report = verify_chain()
    assert report.ok and report.checked == 1 and report.unsealed == 2

    assert task.run() == 2
    report = verify_chain()
    assert report.ok and report.checked == 3 and report.unsealed == 0
    sealed = list(AuditEvent.objects.order_by("seq"))
    assert [e.pk for e in sealed] == sorted(e.pk for e in sealed)
    call_command("audit_verify")


@pytest.mark.django_db
def test_the_trigger_lets_only_the_sealing_update_through(require_postgres):
    from django.db import DatabaseError, transaction

    with transaction.atomic():  # kept unsealed: the sealer runs after a commit
        event = record(Actor.system("tests"), "test.unsealed")

    def raw(sql, params):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)

    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):  # sealing while changing content
        raw(
            "UPDATE audit_auditevent SET seq = 99, hash = 'h', prev_hash = 'p', reason = 'x' "
            "WHERE id = %s",
            [event.pk],
        )
    from apps.audit.services import seal_chain

    assert seal_chain() == 1
    assert AuditEvent.objects.get(pk=event.pk).reason == "" and verify_chain().ok
    with pytest.raises(DatabaseError, match="append-only"):  # sealed once, never again
        raw("UPDATE audit_auditevent SET seq = 100 WHERE id = %s", [event.pk])


@pytest.mark.django_db(transaction=True)
def test_a_committed_transaction_is_sealed_once_with_one_sealer(require_postgres):
    from django.db import transaction

    with transaction.atomic():
        for i in range(3):
            record(Actor.system("tests"), "test.batch", ("tests.thing", i, f"t{i}"))
        queued = [func.__name__ for _sids, func, _robust in connection.run_on_commit]
    assert queued == ["seal_after_commit"]  # one sealer per transaction, run on commit
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq is not None for e in events] == [True, True, True]
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert verify_chain().ok and verify_chain().unsealed == 0
