"""Enums of the reconciler, with labels, badge colours and groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PassStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partial", _("Partly failed")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")

    @property
    def colour(self) -> str:
        return PASS_BADGE[self]


PASS_BADGE = {
    PassStatus.RUNNING: "azure",
    PassStatus.SUCCEEDED: "green",
    PassStatus.PARTIAL: "orange",
    PassStatus.FAILED: "red",
    PassStatus.SKIPPED: "secondary",
}
FINISHED_STATES = frozenset(
    {PassStatus.SUCCEEDED, PassStatus.PARTIAL, PassStatus.FAILED, PassStatus.SKIPPED}
)


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    MANUAL = "manual", _("Reconcile now")
    CHANGE = "change", _("Change in K2Cloud")
    WATCH = "watch", _("Watch")


class Scope(models.TextChoices):
    CLUSTER = "cluster", _("Whole cluster")
    SPACE = "space", _("One space")
    APP = "app", _("One app")


class DriftChange(models.TextChoices):
    MODIFIED = "modified", _("Edited out of band")
    DELETED = "deleted", _("Deleted out of band")

    @property
    def colour(self) -> str:
        return "orange" if self == DriftChange.MODIFIED else "red"
