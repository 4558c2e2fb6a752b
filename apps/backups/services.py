"""Backups of spaces: take one, back up now, retention.

take_backup(space, *, trigger, actor, operation=None) -> Backup
    The whole backup of one space, in this process: collect every cluster of the space
    (apps/backups/collect.py) and its K2Cloud records → archive (archive.write) → store
    (K2_BACKUP_STORE_URL) → verify (apps/backups/verify.py). One Backup row, returned
    `verified` or `failed` with the reason in words: a cluster, store or archive problem
    never raises. Idempotent per operation: an operation that already has a verified
    backup gets that one back (a resumed or repeated step takes no second backup).
    The caller decides who may ask (see do_backup_space); expiry and delete call it with
    trigger "expiry" / "before-delete" and destroy nothing unless `.state == "verified"`.

store_backup(...) / verify_backup(backup, *, actor)
    Its two halves, the two steps of the "backups.take" operation.

do_backup_space(space, *, actor) -> Operation
    "Back up now": permission (can_backup_space), then an operation of kind backups.take
    (one active per space: asking twice returns the one under way).

do_prune_backups(now=None) -> dict
    Retention (beat, hourly): keep the newest K2_BACKUP_KEEP_PER_SPACE verified backups of
    each space and every expiry / before-delete backup for K2_BACKUP_PREDESTROY_KEEP_DAYS;
    delete the other archives from the store, their rows stay as "pruned".
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.events import emit
from apps.audit.actors import Actor
from apps.audit.choices import Outcome
from apps.audit.services import authorize, record
from apps.backups import archive
from apps.backups import events as _events  # noqa: F401  (registers the domain events)
from apps.backups.choices import PREDESTROY_TRIGGERS, BackupState, BackupTrigger
from apps.backups.collect import collect_namespace
from apps.backups.metrics import BACKUP_BYTES, BACKUP_SIZE, BACKUPS, BACKUPS_FAILED
from apps.backups.models import Backup
from apps.backups.permissions import can_backup_space
from apps.backups.records import records_of
from apps.backups.store import StoreError, get_store
from apps.backups.verify import check_archive, store_of
from apps.clusters.gateway import GatewayError
from apps.operations.models import Operation
from apps.operations.services import do_start_operation
from apps.spaces.choices import LIVE_STATES
from apps.spaces.models import Space

log = logging.getLogger(__name__)
PRUNER = Actor.system("workers.backups.prune")
TAKE_KIND = "backups.take"


def _scope(backup: Backup) -> dict:
    space = backup.space
    return {"space": space if space is not None else (backup.space_slug, backup.space_slug)}


def _fail(backup: Backup, stage: str, message: str, *, actor: Actor, action: str) -> Backup:
    """Close the backup as failed with `message` (audited, counted); a final row stays."""
    with transaction.atomic():
        changed = Backup.objects.filter(pk=backup.pk, state=BackupState.RUNNING).update(
            state=BackupState.FAILED, error=message[:4000]
        )
        if changed:
            record(actor, action, backup, outcome=Outcome.FAILED, reason=message, **_scope(backup))
            emit("backup.failed", actor=actor, space=backup.space_slug, stage=stage,
                 trigger=backup.trigger, backup=backup.pk)  # fmt: skip
    if changed:
        BACKUPS_FAILED.labels(stage).inc()
        BACKUPS.labels(backup.trigger, "failed").inc()
    backup.refresh_from_db()
    return backup


def _new_backup(space: Space, *, trigger: str, actor: Actor, operation) -> Backup:
    now = timezone.now()
    keep_until = None
    if trigger in PREDESTROY_TRIGGERS:
        keep_until = now + timedelta(days=settings.K2_BACKUP_PREDESTROY_KEEP_DAYS)
    names = sorted(space.placements.values_list("cluster__name", flat=True))
    return Backup.objects.create(
        space=space, space_slug=space.slug, cluster_names=names, trigger=trigger,
        actor_name=actor.name[:150], operation=operation, keep_until=keep_until,
    )  # fmt: skip


def store_backup(
    space: Space, *, trigger: str, actor: Actor, operation: Operation | None = None
) -> Backup:
    """Collect, archive and store a backup of `space` (the row is `running` and has its
    checksum when this returns, or is `failed` with the reason). With an operation, a
    backup of it that is stored already is returned as it is; a `running` one left by a
    worker that died is collected again into the same row."""
    if trigger not in BackupTrigger.values:
        raise ValueError(f"unknown backup trigger {trigger!r}")
    backup = None
    if operation is not None:
        backup = (
            Backup.objects.filter(operation=operation)
            .exclude(state__in=[BackupState.FAILED, BackupState.PRUNED])
            .order_by("-id")
            .first()
        )
        if backup is not None and (backup.checksum or backup.state != BackupState.RUNNING):
            return backup
    if backup is None:
        backup = _new_backup(space, trigger=trigger, actor=actor, operation=operation)
    clusters = [p.cluster for p in space.placements.select_related("cluster")]
    try:
        manifests = {c.name: collect_namespace(c, space.namespace).objects for c in clusters}
    except GatewayError as exc:
        message = _("Reading the space's objects from the cluster failed: %(error)s")
        return _fail(backup, "collect", message % {"error": exc}, actor=actor,
                     action="backup.take")  # fmt: skip
    data = archive.write(
        space_slug=space.slug, namespace=space.namespace, records=records_of(space),
        clusters=manifests, created_at=backup.created_at,
    )  # fmt: skip
    key = f"spaces/{space.slug}/{backup.created_at:%Y%m%dT%H%M%SZ}-{backup.pk}.tar.gz"
    try:
        store = get_store()
        checksum = store.put(key, data)
    except StoreError as exc:
        return _fail(backup, "store", str(exc), actor=actor, action="backup.take")
    counts = {name: archive.counts_of(objects) for name, objects in manifests.items()}
    with transaction.atomic():
        Backup.objects.filter(pk=backup.pk).update(
            size_bytes=len(data), counts=counts, checksum=checksum, location=key,
            store_url=store.url, error="",
        )  # fmt: skip
        backup.refresh_from_db()
        record(actor, "backup.take", backup, **_scope(backup),
               changes={"size_bytes": len(data), "counts": counts, "location": key,
                        "trigger": trigger})  # fmt: skip
        emit("backup.taken", actor=actor, space=space, trigger=trigger, backup=backup.pk,
             size=len(data), objects=backup.object_total)  # fmt: skip
    BACKUP_BYTES.inc(len(data))
    BACKUP_SIZE.observe(len(data))
    return backup


def verify_backup(backup: Backup, *, actor: Actor) -> Backup:
    """Verify a stored backup (apps/backups/verify.py) and close it: `verified`, or `failed`
    with the reason. A backup that is final already is returned as it is."""
    if backup.state != BackupState.RUNNING or not backup.checksum:
        return backup
    problem = check_archive(backup)
    if problem:
        return _fail(backup, "verify", problem, actor=actor, action="backup.verify")
    with transaction.atomic():
        changed = Backup.objects.filter(pk=backup.pk, state=BackupState.RUNNING).update(
            state=BackupState.VERIFIED, verified_at=timezone.now(), error=""
        )
        if changed:
            record(actor, "backup.verify", backup, **_scope(backup))
            emit("backup.verified", actor=actor, space=backup.space_slug,
                 trigger=backup.trigger, backup=backup.pk)  # fmt: skip
    if changed:
        BACKUPS.labels(backup.trigger, "verified").inc()
    backup.refresh_from_db()
    return backup


def take_backup(
    space: Space, *, trigger: str, actor: Actor, operation: Operation | None = None
) -> Backup:
    """Back up `space` now and verify it; see the module docstring."""
    if operation is not None:
        done = Backup.objects.filter(operation=operation, state=BackupState.VERIFIED).first()
        if done is not None:
            return done
    backup = store_backup(space, trigger=trigger, actor=actor, operation=operation)
    return verify_backup(backup, actor=actor)


def do_backup_space(space: Space, *, actor: Actor) -> Operation:
    """ "Back up now": an operation (kind backups.take) that takes and verifies a backup."""
    authorize(
        actor, "backup.take", space, allowed=lambda: can_backup_space(actor, space),
        message=_("Only the space's admins and owners can back it up."), space=space,
    )  # fmt: skip
    if space.state not in LIVE_STATES:
        raise ValidationError(
            {"space": [_("Space %(slug)s is %(state)s: there is nothing to back up.")
                       % {"slug": space.slug, "state": space.get_state_display()}]}
        )  # fmt: skip
    with transaction.atomic():
        return do_start_operation(
            TAKE_KIND, actor=actor, space=space, params={"trigger": BackupTrigger.MANUAL},
            key=f"{TAKE_KIND}:{space.pk}",
        )  # fmt: skip


# --- retention ------------------------------------------------------------------------------
def _expendable(rows: list[Backup], now, keep: int) -> list[Backup]:
    """The backups of one space (newest first) that retention removes."""
    verified = [b for b in rows if b.state == BackupState.VERIFIED]
    kept = {b.pk for b in verified[:keep]} | {b.pk for b in rows[:keep]
                                              if b.state == BackupState.FAILED}  # fmt: skip
    return [b for b in rows
            if b.pk not in kept and not (b.keep_until and b.keep_until > now)]  # fmt: skip


def do_prune_backups(now=None) -> dict:
    """Apply retention (see the module docstring); {"pruned": n, "errors": n}."""
    now = now or timezone.now()
    keep = max(1, settings.K2_BACKUP_KEEP_PER_SPACE)
    by_space: dict[str, list[Backup]] = defaultdict(list)
    rows = Backup.objects.filter(state__in=[BackupState.VERIFIED, BackupState.FAILED])
    for row in rows.select_related("space").order_by("space_slug", "-created_at", "-id"):
        by_space[row.space_slug].append(row)
    pruned = errors = 0
    for backups in by_space.values():
        for backup in _expendable(backups, now, keep):
            try:
                if backup.location:
                    store_of(backup).delete(backup.location)
            except StoreError as exc:
                errors += 1
                log.warning("backup %s could not be pruned: %s", backup.pk, exc)
                continue
            with transaction.atomic():
                if Backup.objects.filter(pk=backup.pk, state=backup.state).update(
                    state=BackupState.PRUNED
                ):
                    record(PRUNER, "backup.prune", backup, **_scope(backup))
                    pruned += 1
    return {"pruned": pruned, "errors": errors}
