"""The end of a test space's life: expiry (and deletion) only after a verified backup.

    do_sweep_expired(now=None)          the beat task's body (hourly): start one `spaces.expire`
                                        operation per expired test space, at most
                                        K2_EXPIRY_CONCURRENCY_PER_CLUSTER at a time per cluster
    expire_steps(operation)             the operation's steps (apps/spaces/operations.py)
    delete_steps(operation)             "delete space" on a space whose namespaces exist
                                        (kind `spaces.delete`): the same backup, then delete

A space moves active → expiring (the operation started) → expired (its backup of this
run is verified: "backed up") → deleting → deleted (the reconciler's targeted pass
removes the namespaces, as for any deletion). Each step reads the space's state under its
row lock and does only what is still to do, so a duplicate delivery, a killed worker or a
resumed operation never backs up twice or destroys twice, and never destroys without the
verified backup taken by the same operation. A renewal while the space is expiring moves
it back to active; the later steps then find nothing to do.

A backup that fails (store down, checksum mismatch, a cluster refusing the dry run)
fails the operation with the reason in words and leaves the space expiring in place; the
sweep tries it again after a backoff that doubles per failed attempt
(K2_EXPIRY_RETRY_MINUTES, at most a day), and the space's owners and the platform admins
are told why.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.analytics.events import emit
from apps.audit.actors import Actor
from apps.audit.choices import Outcome
from apps.audit.services import record
from apps.backups.choices import BackupState, BackupTrigger
from apps.backups.models import Backup
from apps.backups.operations import BackupFailed
from apps.backups.services import take_backup
from apps.clusters.choices import Environment
from apps.core.tasks import enqueue_on_commit
from apps.operations.choices import ACTIVE_STATES, OperationState
from apps.operations.models import Operation
from apps.operations.registry import Step
from apps.operations.services import do_start_operation
from apps.reconciler.hooks import reconcile_space_on_commit
from apps.spaces import notices
from apps.spaces.choices import (
    BACKED_UP_BEFORE_DELETE,
    DELETE_KIND,
    EXPIRE_KIND,
    SpaceState,
    destroy_key,
)
from apps.spaces.models import Space
from apps.spaces.services import _transition

log = logging.getLogger(__name__)
ACTOR = Actor.system("workers.lifecycle.expire")
SWEEP_TASK = "workers.lifecycle.sweep_expired"
EXPIRABLE_STATES = (SpaceState.ACTIVE, SpaceState.EXPIRING)


def expired_spaces(now=None):
    """Test spaces whose time is up, oldest expiry first (production and machine-learning
    spaces have no expiry and are never selected)."""
    return Space.objects.filter(
        environment=Environment.TEST, expires_at__isnull=False,
        expires_at__lte=now or timezone.now(), state__in=EXPIRABLE_STATES,
    ).order_by("expires_at", "pk")  # fmt: skip


def retry_after(failures: int) -> timedelta:
    """How long the sweep waits before the next attempt after `failures` failed ones."""
    minutes = settings.K2_EXPIRY_RETRY_MINUTES * 2 ** max(0, failures - 1)
    return timedelta(minutes=min(minutes, 24 * 60))


def _backing_off(space_ids: list[int], now) -> set[int]:
    """Spaces whose last failed expiry is younger than its backoff."""
    failed = (
        Operation.objects.filter(
            kind=EXPIRE_KIND, space_id__in=space_ids, state=OperationState.FAILED
        )  # fmt: skip
        .values("space_id")
        .annotate(n=Count("pk"))
    )
    counts = {row["space_id"]: row["n"] for row in failed}
    if not counts:
        return set()
    last = {}
    for op in Operation.objects.filter(kind=EXPIRE_KIND, space_id__in=list(counts),
                                       state=OperationState.FAILED).order_by("finished_at"):  # fmt: skip
        last[op.space_id] = op.finished_at or op.updated_at
    return {sid for sid, n in counts.items() if last[sid] + retry_after(n) > now}


def do_sweep_expired(now=None) -> dict:
    """Start the expiry of every expired test space (the beat task's body, and each finished
    expiry asks for the next): one operation per space (its key makes a duplicate sweep
    return the running one), at most K2_EXPIRY_CONCURRENCY_PER_CLUSTER running per cluster,
    spaces whose last attempt failed only after their backoff. Returns counts."""
    now = now or timezone.now()
    limit = settings.K2_EXPIRY_CONCURRENCY_PER_CLUSTER
    running: dict[int, int] = {
        row["space__primary_cluster_id"]: row["n"]
        # An expiry at its last step (asking for this sweep) no longer holds its slot.
        for row in Operation.objects.filter(kind=EXPIRE_KIND, state__in=ACTIVE_STATES)
        .exclude(progress_total__gt=0, progress_done__gte=F("progress_total") - 1)
        .values("space__primary_cluster_id").annotate(n=Count("pk"))
    }  # fmt: skip
    candidates = list(expired_spaces(now).select_related("primary_cluster")[:5000])
    waiting = _backing_off([s.pk for s in candidates], now)
    active = set(
        Operation.objects.filter(
            kind__in=(EXPIRE_KIND, DELETE_KIND),
            state__in=ACTIVE_STATES,
            space_id__in=[s.pk for s in candidates],
        ).values_list("space_id", flat=True)  # fmt: skip
    )
    counts = {"started": 0, "running": len(active), "backing_off": len(waiting), "deferred": 0}
    for space in candidates:
        if space.pk in active or space.pk in waiting:
            continue
        cluster_id = space.primary_cluster_id
        if running.get(cluster_id, 0) >= limit:
            counts["deferred"] += 1
            continue
        do_start_operation(EXPIRE_KIND, actor=ACTOR, space=space, key=destroy_key(space.pk),
                           params={"space_id": space.pk, "trigger": BackupTrigger.EXPIRY})  # fmt: skip
        running[cluster_id] = running.get(cluster_id, 0) + 1
        counts["started"] += 1
    return counts


# --- the operation's steps ----------------------------------------------------------------
def _space(operation) -> Space | None:
    return Space.objects.filter(pk=operation.params["space_id"]).first()


def _mark_expiring(operation) -> dict:
    with transaction.atomic():
        space = Space.objects.select_for_update().filter(pk=operation.params["space_id"]).first()
        if space is None or space.state not in EXPIRABLE_STATES:
            return {}
        if space.state == SpaceState.ACTIVE:
            if space.expires_at is None or space.expires_at > timezone.now():
                return {"outcome": "renewed"}  # renewed since the sweep chose it
            _transition(space, SpaceState.EXPIRING, actor=ACTOR,
                        message=_("Its time is up: backing it up before it is destroyed."))  # fmt: skip
    return {}


def _deleting(operation) -> bool:
    return operation.kind == DELETE_KIND


def _actor(operation) -> Actor:
    """Who ends the space: the person who deleted it, or the expiry sweep."""
    if not _deleting(operation):
        return ACTOR
    return Actor(operation.actor_type, operation.actor_user_id, operation.actor_name,
                 operation.actor_detail)  # fmt: skip


def _to_back_up(operation) -> frozenset:
    return BACKED_UP_BEFORE_DELETE if _deleting(operation) else frozenset({SpaceState.EXPIRING})


def _back_up(operation) -> dict:
    space = _space(operation)
    if space is None or space.state not in _to_back_up(operation):
        return {}
    backup = take_backup(space, trigger=operation.params.get("trigger", BackupTrigger.EXPIRY),
                         actor=_actor(operation), operation=operation)  # fmt: skip
    if backup.state != BackupState.VERIFIED:
        reason = backup.error or _("The backup could not be verified.")
        if not _deleting(operation):  # a person deleting it sees the operation fail
            _tell_failure(space, reason)
        raise BackupFailed(reason)
    return {"backup_id": backup.pk}


def verified_backup_of(operation) -> Backup | None:
    return Backup.objects.filter(operation=operation, state=BackupState.VERIFIED).first()


def _destroy(operation) -> dict:
    with transaction.atomic():
        space = Space.objects.select_for_update().filter(pk=operation.params["space_id"]).first()
        allowed = _to_back_up(operation) | {SpaceState.EXPIRED}
        if space is None or space.state not in allowed:
            return {}  # renewed meanwhile, or destroyed by an earlier run of this step
        backup = verified_backup_of(operation)
        if backup is None:
            raise BackupFailed(_("No verified backup of this run: the space is left in place."))
        actor = _actor(operation)
        if _deleting(operation):
            _transition(space, SpaceState.DELETING, actor=actor,
                        message=_("Deleted after backup #%(id)s.") % {"id": backup.pk})  # fmt: skip
        else:
            if space.state == SpaceState.EXPIRING:
                _transition(space, SpaceState.EXPIRED, actor=actor,
                            message=_("Backed up (backup #%(id)s, verified).") % {"id": backup.pk})  # fmt: skip
            _transition(space, SpaceState.DELETING, actor=actor,
                        message=_("Expired: destroyed after backup #%(id)s.") % {"id": backup.pk})  # fmt: skip
            record(actor, "space.expire", space, space=space, cluster=space.primary_cluster,
                   reason=_("Destroyed after verified backup #%(id)s.") % {"id": backup.pk})  # fmt: skip
            emit("space.expired", actor=actor, space=space, backup=backup.pk)
        reconcile_space_on_commit(space.pk)
    return {"destroyed": True}


def _next(operation) -> dict:
    enqueue_on_commit(SWEEP_TASK, robust=True)  # the next expired space of this cluster
    return {}


def _tell_failure(space: Space, reason: str) -> None:
    """The space stays: audit the failure and tell its owners and the platform admins."""
    record(ACTOR, "space.expire", space, outcome=Outcome.FAILED, space=space,
           cluster=space.primary_cluster, reason=reason[:2000])  # fmt: skip
    try:
        notices.backup_failed(space, reason)
    except Exception:  # telling must not hide the failure itself
        log.exception("could not tell the owners of %s about the failed backup", space.slug)


def delete_steps(operation) -> list[Step]:
    return [
        Step(gettext_lazy("Back up every object and verify the backup"), _back_up),
        Step(gettext_lazy("Delete the space"), _destroy),
    ]


def expire_steps(operation) -> list[Step]:
    return [
        Step(gettext_lazy("Mark the space expiring"), _mark_expiring),
        Step(gettext_lazy("Back up every object and verify the backup"), _back_up),
        Step(gettext_lazy("Destroy the space"), _destroy),
        Step(gettext_lazy("Continue with the next expired space"), _next),
    ]
