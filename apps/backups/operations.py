"""The operation kind of backups: "backups.take", two idempotent steps.

1. Collect and store: a backup row of this operation that is stored already is kept
   (a resumed operation does not take a second backup); a failed one makes the step fail.
2. Verify: re-read, checksum, parse and dry-run (apps/backups/verify.py). Retried after a
   failed verification, it takes a new backup (the failed one stays as it was).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.actors import Actor
from apps.backups.choices import BackupState
from apps.backups.models import Backup
from apps.backups.services import store_backup, take_backup, verify_backup
from apps.operations.registry import Step, register


class BackupFailed(Exception):
    """The backup failed; the message (the backup's error) becomes the operation's error."""


def _actor(operation) -> Actor:
    return Actor(operation.actor_type, operation.actor_user_id, operation.actor_name,
                 operation.actor_detail)  # fmt: skip


def _store(operation) -> dict:
    if operation.space is None:
        raise BackupFailed(_("The space of this backup no longer exists."))
    backup = store_backup(
        operation.space, trigger=operation.params.get("trigger", "manual"),
        actor=_actor(operation), operation=operation,
    )  # fmt: skip
    if backup.state == BackupState.FAILED:
        raise BackupFailed(backup.error)
    return {"backup": backup.pk}


def _verify(operation) -> dict:
    if operation.space is None:
        raise BackupFailed(_("The space of this backup no longer exists."))
    actor = _actor(operation)
    backup = Backup.objects.filter(operation=operation).order_by("-id").first()
    if backup is None or backup.state == BackupState.FAILED:
        # A retry after a failed verification: the old archive stays failed, take a new one.
        backup = take_backup(operation.space, trigger=operation.params.get("trigger", "manual"),
                             actor=actor, operation=operation)  # fmt: skip
    else:
        backup = verify_backup(backup, actor=actor)
    if backup.state != BackupState.VERIFIED:
        raise BackupFailed(backup.error or _("The backup could not be verified."))
    return {"backup": backup.pk, "verified": True, "size_bytes": backup.size_bytes}


@register("backups.take", label=gettext_lazy("Back up a space"))
def take(operation) -> list[Step]:
    return [Step(gettext_lazy("Collect and store"), _store), Step(gettext_lazy("Verify"), _verify)]


# The restore kind registers itself on import (autodiscover imports this module only).
from apps.backups import restore as _restore  # noqa: E402, F401
