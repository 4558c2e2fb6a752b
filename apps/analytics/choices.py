"""Enums of the analytics app, with labels and groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class EventKind(models.TextChoices):
    REQUEST = "request", _("Request")
    DOMAIN = "domain", _("Domain event")


class Source(models.TextChoices):
    """Where a request came from: the portal pages, the REST API, or a background task."""

    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    SYSTEM = "system", _("System")


class ForwardState(ColourChoices):
    """An event's way to the external analytics endpoint."""

    OFF = "off", "secondary", _("Not forwarded")
    PENDING = "pending", "azure", _("Waiting")
    SENT = "sent", "green", _("Sent")
    DEAD = "dead", "red", _("Dead letter")


# Raw events in these states may be purged by retention (pending ones wait for the endpoint).
PURGEABLE_FORWARD_STATES = frozenset({ForwardState.OFF, ForwardState.SENT, ForwardState.DEAD})

# Requests with a status at or above this count as errors in the rollups.
ERROR_STATUS = 400
