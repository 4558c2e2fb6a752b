"""Why a terminal session ended (shown in the portal and the audit)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EndReason(models.TextChoices):
    EXIT = "exit", _("The shell exited")
    CLOSED = "closed", _("Closed by the user")
    IDLE = "idle", _("Idle timeout")
    MAX_LENGTH = "max_length", _("Maximum session length reached")
    REVOKED = "revoked", _("Access revoked")
    POD_GONE = "pod_gone", _("The pod or the cluster went away")
    SERVER_STOPPED = "server_stopped", _("The server stopped")
