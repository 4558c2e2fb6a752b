"""The operation lifecycle through its services: start on commit, claim, steps with
progress, failure in words, retry from the failed step, cancel, and the sweeper."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.operations import liveness
from apps.operations.exceptions import OperationConflict
from apps.operations.models import Operation
from apps.operations.services import (
    do_cancel_operation,
    do_retry_operation,
    do_start_operation,
    do_sweep_operations,
    run_operation,
)
from tests.operations.conftest import KIND

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


def start(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return do_start_operation(KIND, actor=kwargs.pop("actor", SYSTEM), **kwargs)


def test_start_records_and_enqueues_on_commit_only(counting, sent, alice, space,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        op = do_start_operation(KIND, actor=Actor.for_user(alice), space=space, params={"n": 1})
        assert sent == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert sent == [op.pk]
    op.refresh_from_db()
    assert (op.state, op.actor_name, op.actor_type, op.target_name) == (
        "queued",
        "alice",
        "user",
        "ops-space",
    )
    assert AuditEvent.objects.filter(action="operation.start", actor_name="alice",
                                     space_id="ops-space").count() == 1  # fmt: skip


def test_one_active_operation_per_key(counting, sent, django_capture_on_commit_callbacks):
    first = start(django_capture_on_commit_callbacks, key="same-work")
    second = start(django_capture_on_commit_callbacks, key="same-work")
    assert first.pk == second.pk and Operation.objects.count() == 1
    assert sent == [first.pk]


def test_runner_runs_every_step_and_records_progress(counting, sent,
                                                     django_capture_on_commit_callbacks):  # fmt: skip
    op = start(django_capture_on_commit_callbacks)
    assert run_operation(op.pk) == "succeeded"
    op.refresh_from_db()
    assert counting.runs == [0, 1, 2]
    assert (op.state, op.progress_done, op.progress_total, op.attempts) == ("succeeded", 3, 3, 1)
    assert op.result == {"step1": "done", "step2": "done", "step3": "done"}
    assert op.lease_owner == "" and op.finished_at is not None
    assert run_operation(op.pk) is None  # a duplicate delivery does nothing
    assert counting.runs == [0, 1, 2]


def test_a_failed_step_is_said_in_words_and_retry_resumes_there(
    counting, sent, admin_user, django_capture_on_commit_callbacks
):
    counting.fail_at = 1
    op = start(django_capture_on_commit_callbacks)
    assert run_operation(op.pk) == "failed"
    op.refresh_from_db()
    assert (op.state, op.progress_done, op.error) == ("failed", 1, "RuntimeError: step 2 broke")
    assert AuditEvent.objects.filter(action="operation.fail", outcome="failed").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        do_retry_operation(op, actor=Actor.for_user(admin_user))
    assert sent[-1] == op.pk
    assert run_operation(op.pk) == "succeeded"
    assert counting.runs == [0, 1, 1, 2]  # step 1 ran once: the retry began at step 2
    op.refresh_from_db()
    assert (op.attempts, op.error) == (2, "")
    assert AuditEvent.objects.filter(action="operation.retry", actor_name="root").count() == 1
    with pytest.raises(OperationConflict, match="nothing to retry"):
        do_retry_operation(op, actor=Actor.for_user(admin_user))


def test_cancel_stops_before_the_next_step(counting, sent, admin_user,
                                           django_capture_on_commit_callbacks):  # fmt: skip
    op = start(django_capture_on_commit_callbacks)
    original = counting._step

    def cancelling(index):
        run = original(index)

        def step(operation):
            out = run(operation)
            if index == 0:
                do_cancel_operation(
                    Operation.objects.get(pk=operation.pk), actor=Actor.for_user(admin_user)
                )
            return out

        return step

    counting._step = cancelling
    assert run_operation(op.pk) is None
    op.refresh_from_db()
    assert op.state == "cancelled" and counting.runs == [0]
    with pytest.raises(OperationConflict, match="cannot be cancelled"):
        do_cancel_operation(op, actor=Actor.for_user(admin_user))
    counting._step = original
    with django_capture_on_commit_callbacks(execute=True):
        do_retry_operation(
            op, actor=Actor.for_user(admin_user)
        )  # cancelled is not a dead end either
    # The cancelled step had not been recorded as done, so it runs again (steps are idempotent).
    assert run_operation(op.pk) == "succeeded" and counting.runs == [0, 0, 1, 2]


def test_people_outside_the_space_may_not_retry_or_cancel(
    counting, sent, space, bob, charlie, alice, django_capture_on_commit_callbacks
):
    op = start(django_capture_on_commit_callbacks, space=space)
    for person in (bob, charlie):  # a viewer, an outsider
        with pytest.raises(PermissionDenied):
            do_cancel_operation(op, actor=Actor.for_user(person))
    assert AuditEvent.objects.filter(action="operation.cancel", outcome="denied").count() == 2
    do_cancel_operation(op, actor=Actor.for_user(alice))  # the owner may
    assert Operation.objects.get(pk=op.pk).state == "cancelled"


def test_a_live_workers_lease_is_respected(counting, sent, admin_user,
                                           django_capture_on_commit_callbacks):  # fmt: skip
    op = start(django_capture_on_commit_callbacks)
    liveness.add_beat("tests:alive", lambda: True)  # this process is alive
    owner = f"{liveness.process_id()}/other-thread/abc"
    Operation.objects.filter(pk=op.pk).update(
        state="running", lease_owner=owner, lease_expires_at=timezone.now() + timedelta(seconds=30)
    )
    assert run_operation(op.pk) is None and counting.runs == []
    with pytest.raises(OperationConflict, match="live worker"):
        do_retry_operation(op, actor=Actor.for_user(admin_user))
    liveness.remove_beat("tests:alive")


def _dead_owner() -> str:
    """The lease owner name of a process that ran and is gone (its liveness key expired)."""
    return "ghost-host:999999:dead00/MainThread/0000"


def test_the_sweeper_resumes_work_whose_worker_died(counting, sent,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    op = start(django_capture_on_commit_callbacks)
    Operation.objects.filter(pk=op.pk).update(
        state="running", progress_done=2, progress_total=3, lease_owner=_dead_owner(),
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip
    sent.clear()
    counts = do_sweep_operations()
    assert counts["resumed"] == 1 and sent == [op.pk]
    op.refresh_from_db()
    assert op.state == "queued" and op.progress_message == "Resumed after its worker stopped."
    assert run_operation(op.pk) == "succeeded"
    assert counting.runs == [2]  # from where it stopped
    assert AuditEvent.objects.filter(action="operation.resume",
                                     actor_name="workers.operations.sweep").count() == 1  # fmt: skip


def test_a_dead_worker_with_an_unexpired_lease_is_taken_over(counting, sent,
                                                             django_capture_on_commit_callbacks):  # fmt: skip
    op = start(django_capture_on_commit_callbacks)
    Operation.objects.filter(pk=op.pk).update(
        state="running", lease_owner=_dead_owner(),
        lease_expires_at=timezone.now() + timedelta(seconds=30),
    )  # fmt: skip
    assert run_operation(op.pk) == "succeeded"  # a redelivered task does not wait 30 s


def test_a_lost_queued_operation_is_sent_again(counting, sent, django_capture_on_commit_callbacks):
    op = start(django_capture_on_commit_callbacks)
    sent.clear()
    assert do_sweep_operations()["requeued"] == 0  # too young: its task may be on its way
    Operation.objects.filter(pk=op.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert do_sweep_operations()["requeued"] == 1 and sent == [op.pk]
    assert do_sweep_operations()["requeued"] == 0  # once per lease period, not every sweep


def test_the_sweep_has_a_beat_entry_every_minute():
    from django_celery_beat.models import PeriodicTask

    entry = PeriodicTask.objects.get(task="workers.operations.sweep")
    assert entry.enabled and entry.interval.every == 60 and entry.interval.period == "seconds"


def test_the_liveness_key_of_a_killed_process_expires(settings):
    """A process that marked itself alive and was killed with SIGKILL is dead within the TTL."""
    code = (
        "import django, os, time; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'k2cloud.settings'); django.setup();"
        "from apps.operations import liveness; liveness.add_beat('x', lambda: True);"
        "print(liveness.process_id(), flush=True); time.sleep(60)"
    )
    import os

    env = dict(os.environ, K2_LOCK_TTL_SECONDS="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    process = proc.stdout.readline().strip()
    owner = f"{process}/MainThread/x"
    assert liveness.is_alive(owner)
    proc.kill()
    proc.wait()
    import time

    deadline = time.monotonic() + 3
    while liveness.is_alive(owner) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not liveness.is_alive(owner)
