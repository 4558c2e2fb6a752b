"""Backups: one row per backup of a space, whatever took it (a person, expiry, a delete)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.backups.choices import BackupState, BackupTrigger


class Backup(models.Model):
    """A backup archive of one space in the store, and whether it was verified.

    The space may be destroyed later (the row stays: SET_NULL and the slug copied), and
    retention may delete the archive (state "pruned", the row stays as history).
    """

    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="backups",
    )  # fmt: skip
    space_slug = models.CharField(_("space"), max_length=63, db_index=True)
    cluster_names = models.JSONField(_("clusters"), default=list, blank=True)
    trigger = models.CharField(_("trigger"), max_length=16, choices=BackupTrigger.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=BackupState.choices, default=BackupState.RUNNING,
        db_index=True,
    )  # fmt: skip
    size_bytes = models.BigIntegerField(_("size"), default=0)
    counts = models.JSONField(_("objects per kind"), default=dict, blank=True)
    checksum = models.CharField(_("sha256"), max_length=64, blank=True)
    location = models.CharField(_("location"), max_length=500, blank=True)
    store_url = models.CharField(_("store"), max_length=500, blank=True)
    error = models.TextField(_("error"), blank=True)
    actor_name = models.CharField(_("taken by"), max_length=150, blank=True)
    operation = models.ForeignKey(
        "operations.Operation", verbose_name=_("operation"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="backups",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    keep_until = models.DateTimeField(_("keep until"), null=True, blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["space_slug", "-created_at"], name="backups_space_idx")]

    def __str__(self) -> str:
        return f"{self.space_slug} #{self.pk}"

    @property
    def state_enum(self) -> BackupState:
        return BackupState(self.state)

    @property
    def trigger_enum(self) -> BackupTrigger:
        return BackupTrigger(self.trigger)

    @property
    def object_total(self) -> int:
        return sum(n for kinds in (self.counts or {}).values() for n in kinds.values())
