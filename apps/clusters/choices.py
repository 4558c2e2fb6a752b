"""Enums of the clusters app, with labels, badge colours and groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


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


class ClusterState(ColourChoices):
    """The one state shown to people: admin switches first, then health."""

    READY = "ready", "green", _("Ready")
    DEGRADED = "degraded", "yellow", _("Degraded")
    UNREACHABLE = "unreachable", "red", _("Unreachable")
    UNKNOWN = "unknown", "secondary", _("Not probed yet")
    DISABLED = "disabled", "secondary", _("Disabled")
    CORDONED = "cordoned", "orange", _("Cordoned")


# Environments where a space is never overcommitted on memory and never gets a terminal.
PRODUCTION_ENVIRONMENTS = frozenset({Environment.PROD})
