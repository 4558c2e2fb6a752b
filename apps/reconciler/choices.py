"""Enums of the reconciler, with labels, badge colours and groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class PassStatus(ColourChoices):
    RUNNING = "running", "azure", _("Running")
    SUCCEEDED = "succeeded", "green", _("Succeeded")
    PARTIAL = "partial", "orange", _("Partly failed")
    FAILED = "failed", "red", _("Failed")
    SKIPPED = "skipped", "secondary", _("Skipped")


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
    COLLECTION = "collection", _("Log collection")


class DriftChange(ColourChoices):
    MODIFIED = "modified", "orange", _("Edited out of band")
    DELETED = "deleted", "red", _("Deleted out of band")
