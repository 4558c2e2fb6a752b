"""Operations: one row per piece of long or background work, with its lease and progress."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.audit.choices import ActorType
from apps.operations.choices import ACTIVE_STATES, FINAL_STATES, OperationState
from apps.operations.registry import registered_kinds

REPORT_SECTIONS = (("created", _("Created")), ("skipped", _("Skipped")), ("failed", _("Failed")))


class Operation(models.Model):
    """A piece of background work people can watch, retry or cancel; a worker holds its lease."""

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    # At most one active operation per key (e.g. "approvals.run_handler:42"): asking twice
    # for the same work returns the operation already under way.
    key = models.CharField(_("key"), max_length=200, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    cluster = models.ForeignKey(
        "clusters.Cluster", verbose_name=_("cluster"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="operations",
    )  # fmt: skip
    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="operations",
    )  # fmt: skip
    # Apps are deleted for good; their id and name stay here.
    app_id = models.BigIntegerField(_("app id"), null=True, blank=True, db_index=True)
    target_name = models.CharField(_("target"), max_length=200, blank=True)

    state = models.CharField(
        _("state"), max_length=16, choices=OperationState.choices,
        default=OperationState.QUEUED, db_index=True,
    )  # fmt: skip
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps"), default=0)
    progress_message = models.CharField(_("progress"), max_length=300, blank=True)
    lease_owner = models.CharField(_("lease owner"), max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    actor_type = models.CharField(_("actor type"), max_length=16, choices=ActorType.choices)
    actor_user_id = models.BigIntegerField(_("actor user id"), null=True, blank=True)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    actor_detail = models.CharField(_("actor detail"), max_length=200, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(state__in=sorted(ACTIVE_STATES)) & ~Q(key=""),
                name="operations_one_active_per_key",
            ),
        ]
        indexes = [models.Index(fields=["state", "lease_expires_at"], name="operations_lease_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def state_enum(self) -> OperationState:
        return OperationState(self.state)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.state == OperationState.SUCCEEDED else 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def kind_label(self) -> str:
        entry = registered_kinds().get(self.kind)
        return str(entry.label) if entry else self.kind

    @property
    def report(self) -> list[tuple[str, str, list]]:
        """The created / skipped / failed entries a kind's steps put in the result (a
        restore's report): (key, label, entries) for each list that is there."""
        result = self.result or {}
        return [(key, label, result[key]) for key, label in REPORT_SECTIONS
                if isinstance(result.get(key), list)]  # fmt: skip

    @property
    def result_summary(self) -> dict:
        """The result without its report lists (shown as they are)."""
        return {k: v for k, v in (self.result or {}).items() if k not in dict(REPORT_SECTIONS)}

    @property
    def actor_display(self) -> str:
        name = self.actor_name or self.get_actor_type_display()
        return f"{name} ({self.actor_detail})" if self.actor_detail else name
