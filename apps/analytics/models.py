"""Usage events (raw, short-lived), their daily rollups (kept for trends), opt-outs and the
forwarder's state. Writes go through apps.analytics.services."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.analytics.choices import EventKind, ForwardState, Source


class UsageEvent(models.Model):
    """One portal/API request or one domain event, as recorded (IP already truncated)."""

    kind = models.CharField(_("kind"), max_length=8, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A request's feature ("spaces.create") or a domain event's name ("space.created").
    feature = models.CharField(_("feature"), max_length=64, db_index=True)
    route = models.CharField(_("route"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    method = models.CharField(_("method"), max_length=8, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    space_slug = models.CharField(_("space"), max_length=63, blank=True)
    environment = models.CharField(_("environment"), max_length=16, blank=True)
    ip = models.GenericIPAddressField(_("network"), null=True, blank=True)
    props = models.JSONField(_("properties"), default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    forward_state = models.CharField(
        max_length=8, choices=ForwardState.choices, default=ForwardState.OFF
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["forward_state", "id"], name="analytics_forward_queue"),
            models.Index(fields=["kind", "occurred_at"], name="analytics_kind_time"),
        ]
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.feature}"


class DailyUsage(models.Model):
    """Requests of one user to one feature in one space on one day (the rollup of requests)."""

    day = models.DateField(_("day"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    feature = models.CharField(_("feature"), max_length=64)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    space_slug = models.CharField(_("space"), max_length=63, blank=True)
    environment = models.CharField(_("environment"), max_length=16, blank=True)
    requests = models.PositiveIntegerField(_("requests"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    latency_ms_total = models.FloatField(default=0)
    latency_ms_max = models.FloatField(default=0)

    class Meta:
        ordering = ["day", "feature"]
        indexes = [models.Index(fields=["day", "environment"], name="analytics_daily_env")]
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")

    def __str__(self) -> str:
        return f"{self.day} {self.user_id} {self.feature} x{self.requests}"


class DailyEventCount(models.Model):
    """How many times a domain event happened on one day in one environment."""

    day = models.DateField(_("day"), db_index=True)
    name = models.CharField(_("event"), max_length=64)
    environment = models.CharField(_("environment"), max_length=16, blank=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    actors = models.PositiveIntegerField(_("people"), default=0)

    class Meta:
        ordering = ["day", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "name", "environment"], name="analytics_one_count_per_day"
            )
        ]
        verbose_name = _("daily event count")
        verbose_name_plural = _("daily event counts")

    def __str__(self) -> str:
        return f"{self.day} {self.name} x{self.count}"


class RollupRun(models.Model):
    """When a day was last rolled up, and what it held (so re-runs can be seen to agree)."""

    day = models.DateField(_("day"), unique=True)
    computed_at = models.DateTimeField(_("computed"))
    requests = models.PositiveIntegerField(default=0)
    domain_events = models.PositiveIntegerField(default=0)
    users = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"rollup {self.day}"


class AnalyticsOptOut(models.Model):
    """A person whose requests and events are never recorded (privacy flag)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="analytics_opt_out"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("analytics opt-out")
        verbose_name_plural = _("analytics opt-outs")

    def __str__(self) -> str:
        return f"opt-out {self.user_id}"


class ForwarderState(models.Model):
    """The single row of the forwarder: its backoff, last error and totals."""

    consecutive_failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_total = models.PositiveBigIntegerField(default=0)
    dead_total = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return "forwarder"
