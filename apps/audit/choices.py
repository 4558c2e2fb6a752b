"""Enums of the audit trail, with the badge colour templates and the API agree on."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class Outcome(ColourChoices):
    SUCCEEDED = "succeeded", "green", _("succeeded")
    DENIED = "denied", "red", _("denied")
    FAILED = "failed", "orange", _("failed")


class ActorType(models.TextChoices):
    USER = "user", _("user")
    TOKEN = "token", _("API token")
    SYSTEM = "system", _("system task")
    ANONYMOUS = "anonymous", _("anonymous")


class Channel(models.TextChoices):
    """Through which door an actor came: recorded with every event."""

    PORTAL = "portal", _("portal")
    API = "api", _("API (session)")
    TOKEN = "token", _("API token")
    CLI = "cli", _("command line")
    TASK = "task", _("background task")
