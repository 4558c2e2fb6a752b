"""Enums of operations, with labels, badge colours and state groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OperationState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")

    @property
    def colour(self) -> str:
        return STATE_BADGE[self]


STATE_BADGE = {
    OperationState.QUEUED: "secondary",
    OperationState.RUNNING: "azure",
    OperationState.SUCCEEDED: "green",
    OperationState.FAILED: "red",
    OperationState.CANCELLED: "secondary",
}
# No worker acts on these any more.
FINAL_STATES = frozenset(
    {OperationState.SUCCEEDED, OperationState.FAILED, OperationState.CANCELLED}
)
# A worker has (or should have) the operation in hand; the portal keeps polling.
ACTIVE_STATES = frozenset({OperationState.QUEUED, OperationState.RUNNING})
# A retry makes these run again from the step where they stopped.
RETRYABLE_STATES = frozenset({OperationState.FAILED, OperationState.CANCELLED})
