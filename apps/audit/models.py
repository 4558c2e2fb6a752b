"""The audit trail: append-only, hash-chained events, and the archives retention cut off."""

import json

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.audit.choices import ActorType, Channel, Outcome
from apps.audit.hashing import HASH_VERSION


class AppendOnlyError(Exception):
    """An attempt to change or delete an audit event."""


def _refuse(what: str):
    raise AppendOnlyError(f"Audit events are append-only: {what} is refused.")


class AuditEventQuerySet(models.QuerySet):
    """Refuses bulk changes; retention deletes through `_delete_for_retention` only."""

    def update(self, **kwargs):
        _refuse("update")

    def delete(self):
        _refuse("delete")

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse("update")

    def bulk_create(self, objs, *args, **kwargs):
        _refuse("bulk create (use apps.audit.services.record)")

    def _delete_for_retention(self) -> int:
        deleted, _counts = models.QuerySet.delete(self)
        return deleted

    def _seal(self, **chain) -> int:
        """Set the chain fields of unsealed events (the sealer only; the PostgreSQL trigger
        lets an UPDATE through only when it seals an unsealed event and changes nothing else)."""
        return models.QuerySet.update(self.filter(seq__isnull=True), **chain)


class AuditEvent(models.Model):
    """One recorded action or refused attempt; never changed once written."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_type = models.CharField(_("actor type"), max_length=16, choices=ActorType.choices)
    actor_user_id = models.BigIntegerField(_("actor user id"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True, db_index=True)
    actor_detail = models.CharField(_("actor detail"), max_length=200, blank=True)
    actor_token_id = models.BigIntegerField(_("actor token id"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_name = models.CharField(_("target"), max_length=255, blank=True)
    space_id = models.CharField(_("space"), max_length=100, blank=True, db_index=True)
    space_name = models.CharField(_("space name"), max_length=255, blank=True)
    # The space's primary key: who may read the event is decided by it, since a slug
    # (space_id) is unique among live spaces only. Not hashed (added after the chain began);
    # filled at record time, backfilled by migration 0004 where it could be resolved.
    space_pk = models.BigIntegerField(_("space key"), null=True, blank=True, db_index=True)
    cluster_id = models.CharField(_("cluster"), max_length=100, blank=True, db_index=True)
    cluster_name = models.CharField(_("cluster name"), max_length=255, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    # The chain: empty until the event is sealed (apps.audit.services.seal_chain), right
    # after the transaction that recorded it commits. Unique among sealed events: two
    # events naming the same predecessor would be a fork of the chain.
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, default="")
    hash = models.CharField(_("hash"), max_length=64, blank=True, default="")
    # Position in the chain (the order in which events were sealed, which is the order the
    # chain is walked in); NULL while unsealed. Not hashed: reordering breaks prev links.
    seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    # Which set of fields `hash` covers (apps/audit/hashing.py); events keep their version.
    hash_version = models.PositiveSmallIntegerField(_("hash version"), default=HASH_VERSION)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["prev_hash"], condition=~Q(prev_hash=""), name="audit_chain_prev_unique"
            ),
            models.UniqueConstraint(
                fields=["hash"], condition=~Q(hash=""), name="audit_chain_hash_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            _refuse("update")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse("delete")

    @property
    def is_sealed(self) -> bool:
        return self.seq is not None

    @property
    def outcome_colour(self) -> str:
        return Outcome(self.outcome).colour

    @property
    def actor_display(self) -> str:
        name = self.actor_name or self.get_actor_type_display()
        return f"{name} ({self.actor_detail})" if self.actor_detail else name

    def diff_rows(self) -> list[tuple[str, object, object]]:
        """(field, before, after) rows; a change stored as a bare value shows as 'after' only."""
        rows = []
        for field, value in sorted((self.changes or {}).items()):
            if isinstance(value, dict) and set(value) <= {"before", "after"}:
                rows.append((field, _shown(value.get("before")), _shown(value.get("after"))))
            else:
                rows.append((field, None, _shown(value)))
        return rows


def _shown(value):
    """Strings as they are, other JSON values as compact JSON (not Python reprs)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class AuditArchive(models.Model):
    """A gzip JSON-lines export of the oldest events, removed from the table after export."""

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    path = models.CharField(_("file"), max_length=500)
    sha256 = models.CharField(_("file SHA-256"), max_length=64)
    event_count = models.PositiveIntegerField(_("events"))
    first_event_id = models.BigIntegerField(_("first event id"))
    last_event_id = models.BigIntegerField(_("last event id"))
    first_event_at = models.DateTimeField(_("first event time"))
    last_event_at = models.DateTimeField(_("last event time"))
    first_prev_hash = models.CharField(_("hash before the first event"), max_length=64)
    last_event_hash = models.CharField(
        _("hash of the last event"),
        max_length=64,
        help_text=_("The predecessor hash of the first event kept in the table."),
    )

    class Meta:
        ordering = ["-last_event_id"]
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")

    def __str__(self) -> str:
        return f"{self.path} (#{self.first_event_id}–#{self.last_event_id})"
