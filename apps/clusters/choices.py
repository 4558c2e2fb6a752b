"""Enums of the clusters app, with labels, badge colours and groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Environment(models.TextChoices):
    TEST = "test", _("Test")
    STAGING = "staging", _("Staging")
    PROD = "prod", _("Production")
    ML = "ml", _("Machine learning")


class Health(models.TextChoices):
    """What the last probes found. Admin switches (disabled, cordoned) are separate flags."""

    UNKNOWN = "unknown", _("Not probed yet")
    READY = "ready", _("Ready")
    DEGRADED = "degraded", _("Degraded")
    UNREACHABLE = "unreachable", _("Unreachable")


class ClusterState(models.TextChoices):
    """The one state shown to people: admin switches first, then health."""

    READY = "ready", _("Ready")
    DEGRADED = "degraded", _("Degraded")
    UNREACHABLE = "unreachable", _("Unreachable")
    UNKNOWN = "unknown", _("Not probed yet")
    DISABLED = "disabled", _("Disabled")
    CORDONED = "cordoned", _("Cordoned")


STATE_BADGE = {
    ClusterState.READY: "green",
    ClusterState.DEGRADED: "yellow",
    ClusterState.UNREACHABLE: "red",
    ClusterState.UNKNOWN: "secondary",
    ClusterState.DISABLED: "secondary",
    ClusterState.CORDONED: "orange",
}

# Environments where a space is never overcommitted on memory and never gets a terminal.
PRODUCTION_ENVIRONMENTS = frozenset({Environment.PROD})
