"""Every write of operations: start, run (the runner), retry, cancel, and the sweep.

do_start_operation(kind, ..., actor=...)   inside the caller's transaction; enqueued on commit
run_operation(operation_id)                the runner a task calls: claim, heartbeat, steps
do_retry_operation(op, actor=...)          a way out of failed / cancelled / abandoned work
do_cancel_operation(op, actor=...)         a way out of queued / running work
do_sweep_operations()                      resume operations whose worker died (beat, 1 min)
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.choices import Outcome
from apps.audit.services import authorize, record
from apps.core.tasks import BULK, enqueue, enqueue_on_commit
from apps.operations import liveness
from apps.operations.choices import ACTIVE_STATES, FINAL_STATES, RETRYABLE_STATES, OperationState
from apps.operations.exceptions import OperationConflict
from apps.operations.models import Operation
from apps.operations.permissions import can_change_operation
from apps.operations.registry import get_kind
from k2cloud.celery import TransientError

log = logging.getLogger(__name__)
SWEEPER = Actor.system("workers.operations.sweep")


def lease_seconds() -> float:
    return settings.K2_OPERATION_LEASE_SECONDS


RUN_TASK = "workers.operations.run_operation"


def _enqueue_on_commit(operation_id: int, actor: Actor | None = None) -> None:
    """The run task on commit: on `interactive` when a person started it, on `bulk` when the
    platform did (500 expiries must not stand before someone's change)."""
    queue = BULK if actor is not None and actor.is_system else None
    enqueue_on_commit(RUN_TASK, operation_id, robust=True, queue=queue)


def _scope(operation: Operation) -> dict:
    return {"space": operation.space, "cluster": operation.cluster}


# --- start ----------------------------------------------------------------------------------
def do_start_operation(
    kind: str, *, actor: Actor, params: dict | None = None, cluster=None, space=None, app=None,
    target_name: str = "", key: str = "",
) -> Operation:  # fmt: skip
    """Open an operation of `kind` and run it in a worker once the caller's transaction commits.

    1. The kind is registered (UnknownOperationKind otherwise: a programming error).
    2. With a `key`, an active operation of the same key is returned instead of a second one
       (a unique constraint makes concurrent callers agree).
    3. The row (queued, the actor denormalised) and its audit event, in one transaction.
    4. On commit, the run task is enqueued; the sweeper re-enqueues it if that is lost.
    """
    get_kind(kind)
    who = actor
    if app is not None:
        space = space or app.space
        target_name = target_name or f"{app.space.slug}/{app.name}"
    elif space is not None:
        target_name = target_name or space.slug
    elif cluster is not None:
        target_name = target_name or cluster.name
    with transaction.atomic():
        if key:
            existing = Operation.objects.filter(key=key, state__in=ACTIVE_STATES).first()
            if existing is not None:
                return existing
        try:
            with transaction.atomic():
                operation = Operation.objects.create(
                    kind=kind, key=key[:200], params=params or {}, cluster=cluster, space=space,
                    app_id=app.pk if app is not None else None, target_name=target_name[:200],
                    actor_type=str(who.type), actor_user_id=who.user_id,
                    actor_name=who.name[:150], actor_detail=who.detail[:200],
                )  # fmt: skip
        except IntegrityError:
            return Operation.objects.get(key=key, state__in=ACTIVE_STATES)
        record(actor, "operation.start", operation, **_scope(operation))
        _enqueue_on_commit(operation.pk, actor)
    return operation


# --- run ------------------------------------------------------------------------------------
def _owner() -> str:
    return f"{liveness.process_id()}/{threading.current_thread().name}/{uuid.uuid4().hex[:8]}"


def _lease_until():
    return timezone.now() + timedelta(seconds=lease_seconds())


def _mine(operation_id: int, owner: str):
    return Operation.objects.filter(
        pk=operation_id, lease_owner=owner, state=OperationState.RUNNING
    )


def _renewer(operation_id: int, owner: str):
    """The heartbeat's job for one operation: push its lease out; False once it is not ours."""

    def renew() -> bool:
        try:
            return bool(_mine(operation_id, owner).update(lease_expires_at=_lease_until()))
        finally:
            connection.close()  # the heartbeat thread keeps no connection open between beats

    return renew


def claim(operation_id: int, owner: str) -> Operation | None:
    """Take the operation's lease with a conditional UPDATE; None when someone else has it.

    Claimable: an active operation with no lease, an expired lease, or a lease whose owner
    process is gone (no liveness key: killed, not just slow).
    """
    row = Operation.objects.filter(pk=operation_id, state__in=ACTIVE_STATES).first()
    if row is None:
        return None
    now = timezone.now()
    leased = row.lease_owner and row.lease_expires_at and row.lease_expires_at > now
    if leased and liveness.is_alive(row.lease_owner):
        return None
    claimed = Operation.objects.filter(
        pk=operation_id, state__in=ACTIVE_STATES, lease_owner=row.lease_owner
    ).update(
        state=OperationState.RUNNING, lease_owner=owner, lease_expires_at=_lease_until(),
        attempts=F("attempts") + 1, started_at=Coalesce(F("started_at"), now),
        finished_at=None, updated_at=now,
    )  # fmt: skip
    if not claimed:
        return None
    return Operation.objects.select_related("space", "cluster").get(pk=operation_id)


def run_operation(operation_id: int) -> str | None:
    """Run an operation's remaining steps under its lease; returns the state it ended in,
    or None when there was nothing for this worker to do (final, gone, or held by a live one).

    1. Claim the lease (conditional UPDATE); a heartbeat thread renews it while steps run.
    2. Run the kind's steps from `progress_done` on, recording progress after each one; a
       cancel (or a takeover) is noticed between steps and stops the run.
    3. Finish: succeeded, or failed with the error in words (audited). A TransientError puts
       the operation back in the queue and is raised again, so the task retries it later.
    """
    owner = _owner()
    operation = claim(operation_id, owner)
    if operation is None:
        return None
    beat = f"operation:{operation_id}:{owner}"
    liveness.add_beat(beat, _renewer(operation_id, owner))
    try:
        steps = get_kind(operation.kind).steps(operation)
        _mine(operation_id, owner).update(progress_total=len(steps))
        result = dict(operation.result or {})
        for index in range(operation.progress_done, len(steps)):
            step = steps[index]
            if not _mine(operation_id, owner).update(progress_message=str(step.label)[:300]):
                return None  # cancelled or taken over meanwhile
            out = step.run(operation)
            if out:
                result.update(out)
                operation.result = dict(result)  # later steps of this run read it too
            if not _mine(operation_id, owner).update(progress_done=index + 1, result=result):
                return None
        _mine(operation_id, owner).update(
            state=OperationState.SUCCEEDED, progress_message="", finished_at=timezone.now(),
            lease_owner="", lease_expires_at=None, error="",
        )  # fmt: skip
        return OperationState.SUCCEEDED
    except TransientError as exc:
        _mine(operation_id, owner).update(
            state=OperationState.QUEUED, lease_owner="", lease_expires_at=None,
            error=_("Will be retried: %(error)s") % {"error": str(exc)[:1900]},
        )  # fmt: skip
        raise
    except Exception as exc:
        log.exception("operation %s (%s) failed", operation_id, operation.kind)
        message = f"{exc.__class__.__name__}: {exc}"[:2000]
        if _mine(operation_id, owner).update(
            state=OperationState.FAILED, error=message, finished_at=timezone.now(),
            lease_owner="", lease_expires_at=None,
        ):  # fmt: skip
            record(_actor_of(operation), "operation.fail", operation, outcome=Outcome.FAILED,
                   reason=message, **_scope(operation))  # fmt: skip
        return OperationState.FAILED
    finally:
        liveness.remove_beat(beat)


def _actor_of(operation: Operation) -> Actor:
    return Actor(operation.actor_type, operation.actor_user_id, operation.actor_name,
                 operation.actor_detail)  # fmt: skip


# --- retry, cancel --------------------------------------------------------------------------
def _authorize(actor, action: str, operation: Operation, message: str) -> None:
    authorize(
        actor, action, operation, allowed=lambda: can_change_operation(actor, operation),
        message=message, **_scope(operation),
    )  # fmt: skip


def _abandoned(operation: Operation, now=None) -> bool:
    """Active, and no live worker has it: never claimed, or its holder's lease ran out / its
    process is gone."""
    if operation.state not in ACTIVE_STATES:
        return False
    if not operation.lease_owner:
        return True
    now = now or timezone.now()
    expired = operation.lease_expires_at is None or operation.lease_expires_at <= now
    return expired or not liveness.is_alive(operation.lease_owner)


def do_retry_operation(operation: Operation, *, actor: Actor) -> Operation:
    """Run a failed or cancelled operation again from the step where it stopped, or send
    an active one whose worker is gone to a worker now. A running operation whose worker
    is alive is refused (409): cancel it or let it finish."""
    _authorize(actor, "operation.retry", operation,
               _("Only platform admins and the space's admins and owners retry its operations."))  # fmt: skip
    with transaction.atomic():
        locked = Operation.objects.select_for_update().get(pk=operation.pk)
        if locked.state in RETRYABLE_STATES:
            if (
                locked.key
                and Operation.objects.filter(key=locked.key, state__in=ACTIVE_STATES).exists()
            ):
                raise OperationConflict(
                    _("Another operation for the same work is under way: #%(id)s.")
                    % {"id": Operation.objects.filter(key=locked.key, state__in=ACTIVE_STATES)
                       .values_list("pk", flat=True).first()}
                )  # fmt: skip
            Operation.objects.filter(pk=locked.pk).update(
                state=OperationState.QUEUED, error="", lease_owner="", lease_expires_at=None,
                finished_at=None, updated_at=timezone.now(),
            )  # fmt: skip
        elif _abandoned(locked):
            Operation.objects.filter(pk=locked.pk, lease_owner=locked.lease_owner).update(
                state=OperationState.QUEUED, lease_owner="", lease_expires_at=None,
                updated_at=timezone.now(),
            )  # fmt: skip
        elif locked.state in ACTIVE_STATES:
            raise OperationConflict(
                _("Operation #%(id)s is running on a live worker; cancel it or let it finish.")
                % {"id": locked.pk}
            )
        else:
            raise OperationConflict(
                _("Operation #%(id)s succeeded: there is nothing to retry.") % {"id": locked.pk}
            )
        record(actor, "operation.retry", locked,
               changes={"state": {"before": locked.state, "after": OperationState.QUEUED}},
               **_scope(locked))  # fmt: skip
        _enqueue_on_commit(locked.pk)
    operation.refresh_from_db()
    return operation


def do_cancel_operation(operation: Operation, *, actor: Actor) -> Operation:
    """Stop a queued or running operation: its worker notices before the next step (a step
    under way finishes; every step is safe to stop after)."""
    _authorize(actor, "operation.cancel", operation,
               _("Only platform admins and the space's admins and owners cancel its operations."))  # fmt: skip
    with transaction.atomic():
        before = operation.state
        cancelled = Operation.objects.filter(pk=operation.pk, state__in=ACTIVE_STATES).update(
            state=OperationState.CANCELLED, lease_owner="", lease_expires_at=None,
            finished_at=timezone.now(), progress_message="", updated_at=timezone.now(),
        )  # fmt: skip
        if not cancelled:
            operation.refresh_from_db()
            raise OperationConflict(
                _("Operation #%(id)s is %(state)s: it cannot be cancelled.")
                % {"id": operation.pk, "state": operation.state_enum.label}
            )
        record(actor, "operation.cancel", operation,
               changes={"state": {"before": before, "after": OperationState.CANCELLED}},
               **_scope(operation))  # fmt: skip
    operation.refresh_from_db()
    return operation


# --- sweep ----------------------------------------------------------------------------------
def do_sweep_operations(now=None, *, limit: int = 500) -> dict:
    """Resume operations whose worker is gone; the beat task's body (every minute).

    1. Running with an expired lease and a dead owner: back to queued, re-enqueued (the
       runner continues at the step that did not finish).
    2. Queued, unclaimed, older than one lease: the task was lost (a broker restart without
       persistence, a kill between commit and send): re-enqueued.
    3. Then the stuck spaces, apps and approval handlers (apps/operations/stuck.py).
    """
    # cycle: operations.stuck -> approvals.services -> operations.services (do_start_operation)
    from apps.operations.stuck import do_sweep_stuck

    now = now or timezone.now()
    resumed = 0
    expired = Operation.objects.filter(
        state=OperationState.RUNNING, lease_expires_at__lt=now
    ).order_by("lease_expires_at")[:limit]
    for operation in expired:
        if liveness.is_alive(operation.lease_owner):
            continue
        if Operation.objects.filter(pk=operation.pk, lease_owner=operation.lease_owner,
                                    state=OperationState.RUNNING).update(
            state=OperationState.QUEUED, lease_owner="", lease_expires_at=None,
            progress_message=_("Resumed after its worker stopped."), updated_at=now,
        ):  # fmt: skip
            record(SWEEPER, "operation.resume", operation, reason=operation.lease_owner[:500],
                   **_scope(operation))  # fmt: skip
            _send(operation.pk)
            resumed += 1
    cutoff = now - timedelta(seconds=lease_seconds())
    lost = Operation.objects.filter(
        Q(lease_owner="") | Q(lease_expires_at__lt=now), state=OperationState.QUEUED,
        updated_at__lt=cutoff,
    ).values_list("pk", flat=True)[:limit]  # fmt: skip
    requeued = 0
    for pk in lost:
        Operation.objects.filter(pk=pk).update(updated_at=now)  # once per lease, not per sweep
        _send(pk)
        requeued += 1
    counts = {"resumed": resumed, "requeued": requeued}
    counts.update(do_sweep_stuck(now=now))
    return counts


def _send(operation_id: int) -> None:
    try:
        enqueue(RUN_TASK, operation_id, queue=BULK)  # nobody is waiting on a resumed one
    except Exception:  # the broker is down: the next sweep tries again
        log.exception("could not enqueue operation %s", operation_id)


__all__ = [
    "FINAL_STATES", "claim", "do_cancel_operation", "do_retry_operation", "do_start_operation",
    "do_sweep_operations", "run_operation",
]  # fmt: skip
