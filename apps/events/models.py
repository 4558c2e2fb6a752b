"""The event center's rows.

`Event` is one row per fingerprint within a merge window: first/last seen, count and the
latest message, so a crash loop is one row with a count. `EventBucket` counts occurrences
per row and minute (alert windows, the chart). `EventSource` remembers how much of each
Kubernetes event (or pod status fact) was counted already, so a relist or a restarted
watcher adds nothing twice. Alert rules, silences, sinks, the state of a rule for a
fingerprint, and one delivery row per notification and sink.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core import crypto
from apps.events.choices import DeliveryState, EventType, NoticeKind, SinkKind


class Event(models.Model):
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    space = models.ForeignKey("spaces.Space", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")  # fmt: skip
    app = models.ForeignKey("workloads.App", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")  # fmt: skip
    fingerprint = models.CharField(max_length=32)
    namespace = models.CharField(max_length=63, blank=True)
    kind = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=253)  # the latest object (pod) it was seen on
    reason = models.CharField(max_length=128)
    type = models.CharField(max_length=8, choices=EventType.choices, default=EventType.NORMAL)
    message = models.TextField(blank=True)  # the latest
    component = models.CharField(max_length=128, blank=True)
    count = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [
            models.Index(fields=["fingerprint", "-last_seen"], name="events_fp_last"),
            models.Index(fields=["-last_seen"], name="events_last"),
            models.Index(fields=["space", "-last_seen"], name="events_space_last"),
            models.Index(fields=["app", "-last_seen"], name="events_app_last"),
            models.Index(fields=["cluster", "reason", "-last_seen"], name="events_cl_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.kind}/{self.name} x{self.count}"


class EventBucket(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="buckets")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "minute"], name="events_bucket_uniq")
        ]
        indexes = [models.Index(fields=["minute"], name="events_bucket_minute")]

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.pk}"


class EventSource(models.Model):
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=400)
    counted = models.PositiveIntegerField(default=0)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "key"], name="events_source_uniq")
        ]
        indexes = [models.Index(fields=["seen_at"], name="events_source_seen")]

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.pk}"


class WatchCursor(models.Model):
    """The last resourceVersion the event watcher saw, per cluster and resource."""

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    resource = models.CharField(max_length=32)
    version = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "resource"], name="events_cursor_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.pk}"


class Sink(models.Model):
    """Where notifications go. The target (URL or addresses) is encrypted at rest."""

    space = models.ForeignKey("spaces.Space", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")  # fmt: skip
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=SinkKind.choices)
    target_encrypted = models.TextField()
    secret_encrypted = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def target(self) -> str:
        return crypto.decrypt(self.target_encrypted)

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted) if self.secret_encrypted else ""


class AlertRule(models.Model):
    """Matches events (blank = any) and fires when their count within `window_seconds`
    reaches `threshold`; one notification per fingerprint per `renotify_seconds`."""

    space = models.ForeignKey("spaces.Space", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+")  # fmt: skip
    app = models.ForeignKey("workloads.App", null=True, blank=True, on_delete=models.CASCADE,
                            related_name="+")  # fmt: skip
    cluster = models.ForeignKey("clusters.Cluster", null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")  # fmt: skip
    name = models.CharField(_("name"), max_length=80)
    type = models.CharField(_("type"), max_length=8, blank=True, choices=EventType.choices)
    reason = models.CharField(_("reason"), max_length=128, blank=True)
    kind = models.CharField(_("kind"), max_length=64, blank=True)
    environment = models.CharField(_("environment"), max_length=16, blank=True)
    threshold = models.PositiveIntegerField(_("threshold"), default=1)
    window_seconds = models.PositiveIntegerField(_("window (seconds)"), default=600)
    renotify_seconds = models.PositiveIntegerField(_("re-notify after (seconds)"), default=3600)
    sinks = models.ManyToManyField(Sink, related_name="rules", blank=True)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Silence(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="silences")
    ends_at = models.DateTimeField()
    comment = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.pk}"


class AlertState(models.Model):
    """A rule firing for one fingerprint: when it last notified, and whether it resolved."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    fingerprint = models.CharField(max_length=32)
    event = models.ForeignKey(Event, null=True, on_delete=models.SET_NULL, related_name="+")
    firing = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "fingerprint"], name="events_state_uniq")
        ]
        indexes = [models.Index(fields=["firing"], name="events_state_firing")]

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.pk}"


class Notification(models.Model):
    state = models.ForeignKey(AlertState, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField()
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.pk}"


class Delivery(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE,
                                     related_name="deliveries")  # fmt: skip
    sink = models.ForeignKey(Sink, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=8, choices=DeliveryState.choices,
                             default=DeliveryState.PENDING)  # fmt: skip
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "sink"], name="events_delivery_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.pk}"


class MemorySample(models.Model):
    """Memory of an app's pods at one time, from the cluster's metrics (kept 7 days)."""

    app = models.ForeignKey("workloads.App", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    usage = models.BigIntegerField()
    cache = models.BigIntegerField()
    working_set = models.BigIntegerField()
    limit = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["app", "-at"], name="events_memory_app_at")]

    def __str__(self) -> str:
        return f"{self.__class__.__name__} {self.pk}"
