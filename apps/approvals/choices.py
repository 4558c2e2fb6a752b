"""Enums of the approval engine, with the badge colours templates and the API agree on."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class RequestState(ColourChoices):
    PENDING = "pending", "yellow", _("pending")
    APPROVED = "approved", "green", _("approved")
    REJECTED = "rejected", "red", _("rejected")
    CANCELLED = "cancelled", "secondary", _("cancelled")
    EXPIRED = "expired", "orange", _("expired")


TERMINAL_STATES = frozenset(
    {RequestState.APPROVED, RequestState.REJECTED, RequestState.CANCELLED, RequestState.EXPIRED}
)
# Terminal states that end a request without approval: the kind's on_rejected handler runs.
UNSUCCESSFUL_STATES = TERMINAL_STATES - {RequestState.APPROVED}


class Verdict(ColourChoices):
    APPROVE = "approve", "green", _("approved")
    REJECT = "reject", "red", _("rejected")


class Quorum(models.TextChoices):
    ANY = "any", _("any one approver")
    ALL = "all", _("every approver")
    COUNT = "count", _("a number of approvers")


class NotificationVerb(models.TextChoices):
    SUBMITTED = "submitted", _("waits for your decision")
    APPROVED = "approved", _("was approved")
    REJECTED = "rejected", _("was rejected")
    STEP_APPROVED = "step_approved", _("passed a step")
    DECIDED = "decided", _("received a decision")
    CANCELLED = "cancelled", _("was cancelled")
    EXPIRED = "expired", _("expired")
    REMINDER = "reminder", _("still waits for your decision")
    ESCALATED = "escalated", _("was escalated to you")
    # A space notice (target: the space, not a request).
    SPACE_EXPIRING = "space-expiring", _("expires soon")
    BACKUP_FAILED = "backup-failed", _("could not be backed up")

    @property
    def icon(self) -> str:
        return NOTIFICATION_ICONS.get(self, "bell")


NOTIFICATION_ICONS = {
    NotificationVerb.SUBMITTED: "inbox",
    NotificationVerb.APPROVED: "circle-check",
    NotificationVerb.REJECTED: "circle-x",
    NotificationVerb.STEP_APPROVED: "player-track-next",
    NotificationVerb.CANCELLED: "ban",
    NotificationVerb.EXPIRED: "clock-x",
    NotificationVerb.REMINDER: "alarm",
    NotificationVerb.ESCALATED: "arrow-up-right",
    NotificationVerb.SPACE_EXPIRING: "clock-exclamation",
    NotificationVerb.BACKUP_FAILED: "archive-off",
}
