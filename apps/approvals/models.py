"""The approval engine's data: workflow definitions and their steps, requests, decisions and
in-portal notifications. Writes go through apps.approvals.services."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.approvals.choices import (
    TERMINAL_STATES,
    NotificationVerb,
    Quorum,
    RequestState,
    Verdict,
)


class AppendOnlyError(Exception):
    """An attempt to change or delete a recorded decision."""


class WorkflowDefinition(models.Model):
    """The ordered approval steps that requests of one kind go through."""

    kind = models.CharField(_("request kind"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["kind"]
        verbose_name = _("workflow definition")
        verbose_name_plural = _("workflow definitions")

    def __str__(self) -> str:
        return self.kind


class WorkflowStep(models.Model):
    """One step of a workflow: who approves, how many must, and by when."""

    definition = models.ForeignKey(
        WorkflowDefinition, on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=100)
    approvers = models.CharField(
        _("approvers"),
        max_length=150,
        help_text=_("A group name, or a role relative to the request such as 'platform-admin'."),
    )
    quorum = models.CharField(_("quorum"), max_length=8, choices=Quorum.choices, default=Quorum.ANY)
    quorum_count = models.PositiveSmallIntegerField(
        _("approvals needed"), default=1, help_text=_("Used when the quorum is a number.")
    )
    deadline = models.DurationField(_("deadline"), null=True, blank=True)
    remind_after = models.DurationField(_("remind after"), null=True, blank=True)
    escalate_to = models.CharField(
        _("escalate to group"),
        max_length=150,
        blank=True,
        help_text=_("At the deadline this group is notified and may decide too."),
    )

    class Meta:
        ordering = ["definition", "order"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "order"], name="approvals_step_order"),
            models.CheckConstraint(condition=Q(quorum_count__gte=1), name="approvals_quorum_ge_1"),
        ]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")

    def __str__(self) -> str:
        return f"{self.definition_id}#{self.order} {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from apps.approvals.registry import validate_approvers

        errors = {}
        problem = validate_approvers(self.approvers)
        if problem:
            errors["approvers"] = [problem]
        if self.escalate_to and validate_approvers(self.escalate_to):
            errors["escalate_to"] = [validate_approvers(self.escalate_to)]
        if self.escalate_to and not self.deadline:
            errors["deadline"] = [_("Escalation happens at the deadline: set one.")]
        if self.deadline and self.remind_after and self.remind_after >= self.deadline:
            errors["remind_after"] = [_("The reminder must come before the deadline.")]
        if errors:
            raise ValidationError(errors)

    def snapshot(self) -> dict:
        """The step as a request keeps it: later edits of the definition leave it alone."""
        return {
            "name": self.name,
            "approvers": self.approvers,
            "quorum": self.quorum,
            "quorum_count": self.quorum_count,
            "deadline_seconds": int(self.deadline.total_seconds()) if self.deadline else None,
            "remind_after_seconds": (
                int(self.remind_after.total_seconds()) if self.remind_after else None
            ),
            "escalate_to": self.escalate_to,
        }


class ApprovalRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=RequestState.PENDING)


class ApprovalRequest(models.Model):
    """A request of one kind going through its workflow's steps, one step at a time."""

    kind = models.CharField(_("kind"), max_length=100, db_index=True)
    definition = models.ForeignKey(
        WorkflowDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=RequestState.choices,
        default=RequestState.PENDING,
        db_index=True,
    )
    steps = models.JSONField(_("steps"), default=list)
    current_step = models.PositiveSmallIntegerField(_("current step"), default=0)
    # The current step, denormalised so the inbox and the deadline sweep are plain queries.
    current_approvers = models.CharField(max_length=150, blank=True, db_index=True)
    escalated_to = models.CharField(max_length=150, blank=True)
    # "|name|name|": every approvers name of every step (and escalation group), so that
    # approvers can still open a request after others decided it (a portable LIKE query).
    approver_keys = models.CharField(max_length=1000, blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_name = models.CharField(_("target"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Set once by the one task run that carries out on_approved / on_rejected.
    handled_at = models.DateTimeField(null=True, blank=True)
    handler_error = models.TextField(blank=True)

    objects = ApprovalRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "kind"], name="approvals_state_kind")]
        constraints = [
            # A request about a space names it by id in payload.space_id: one pending request
            # of a kind per space, so a double click cannot open two (the services also lock).
            # Payloads without space_id are not constrained (NULLs are distinct).
            models.UniqueConstraint(
                "kind",
                KeyTextTransform("space_id", "payload"),
                condition=Q(state=RequestState.PENDING),
                name="approvals_one_pending_per_space",
            )
        ]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}" + (f" {self.target_name}" if self.target_name else "")

    def get_absolute_url(self) -> str:
        return reverse("approvals:detail", args=[self.pk])

    def audit_space(self):
        """The space a request is about (payload.space_id), for the audit trail's Space."""
        from apps.spaces.models import Space

        space_id = (self.payload or {}).get("space_id")
        return Space.objects.filter(pk=space_id).first() if space_id else None

    @property
    def is_pending(self) -> bool:
        return self.state == RequestState.PENDING

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def state_colour(self) -> str:
        return RequestState(self.state).colour

    @property
    def step(self) -> dict | None:
        """The current step's snapshot (None once there is no current step)."""
        if self.is_pending and 0 <= self.current_step < len(self.steps):
            return self.steps[self.current_step]
        return None

    def enter_step(self, index: int, now) -> None:
        """Point the request at step `index` and restart its clock (no save)."""
        step = self.steps[index]
        self.current_step = index
        self.current_approvers = step["approvers"]
        self.escalated_to = ""
        self.escalated_at = None
        self.step_started_at = now
        remind, deadline = step.get("remind_after_seconds"), step.get("deadline_seconds")
        self.remind_at = now + timedelta(seconds=remind) if remind else None
        self.deadline_at = now + timedelta(seconds=deadline) if deadline else None

    def set_approver_keys(self) -> None:
        names = [s["approvers"] for s in self.steps] + [s["escalate_to"] for s in self.steps]
        self.approver_keys = "|" + "|".join(dict.fromkeys(n for n in names if n)) + "|"

    def leave_steps(self) -> None:
        """Clear the clocks of a request that reached a terminal state (no save)."""
        self.remind_at = None
        self.deadline_at = None


class DecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Decisions are append-only: update is refused.")

    def delete(self):
        raise AppendOnlyError("Decisions are append-only: delete is refused.")


class Decision(models.Model):
    """One approver's approve or reject at one step of a request; never changed once written."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    step = models.PositiveSmallIntegerField(_("step"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="approval_decisions",
    )
    verdict = models.CharField(_("verdict"), max_length=8, choices=Verdict.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "step", "approver"], name="approvals_one_decision_per_step"
            )
        ]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.verdict} by {self.approver_id} on #{self.request_id} step {self.step}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Decisions are append-only: update is refused.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Decisions are append-only: delete is refused.")

    @property
    def verdict_colour(self) -> str:
        return Verdict(self.verdict).colour


class Notification(models.Model):
    """An in-portal notice for one user, until they read it: about an approval request, or
    about a space (its expiry reminder). Exactly one of the two targets is set."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_notifications"
    )
    verb = models.CharField(_("what happened"), max_length=16, choices=NotificationVerb.choices)
    request = models.ForeignKey(
        ApprovalRequest,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    space = models.ForeignKey(
        "spaces.Space",
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    # Where the notice leads (space notices: the renew page); request notices use the request.
    link = models.CharField(max_length=300, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="approvals_notif_unread")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(request__isnull=False) & Q(space__isnull=True))
                | (Q(request__isnull=True) & Q(space__isnull=False)),
                name="approvals_notification_one_target",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        target = f"#{self.request_id}" if self.request_id else f"space {self.space_id}"
        return f"{self.user_id}: {target} {self.verb}"

    @property
    def icon(self) -> str:
        return NotificationVerb(self.verb).icon

    @property
    def url(self) -> str:
        if self.request_id:
            return reverse("approvals:detail", args=[self.request_id])
        return self.link
