"""Enums of backups, with labels and badge colours."""

from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class BackupState(ColourChoices):
    RUNNING = "running", "azure", _("Running")
    VERIFIED = "verified", "green", _("Verified")
    FAILED = "failed", "red", _("Failed")
    PRUNED = "pruned", "secondary", _("Pruned")


class BackupTrigger(ColourChoices):
    MANUAL = "manual", "blue", _("Manual")
    EXPIRY = "expiry", "orange", _("Expiry")
    BEFORE_DELETE = "before-delete", "red", _("Before delete")


# Backups taken because the space is about to be destroyed: kept for
# K2_BACKUP_PREDESTROY_KEEP_DAYS whatever the per-space count says.
PREDESTROY_TRIGGERS = frozenset({BackupTrigger.EXPIRY, BackupTrigger.BEFORE_DELETE})
