"""Reconcile passes (operation rows), drift history, failing objects and observed status."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.reconciler.choices import DriftChange, PassStatus, Scope, Trigger


class ReconcilePass(models.Model):
    """One reconcile pass over a cluster (or one space/app on it): what it checked and did."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="reconcile_passes"
    )
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.CLUSTER)
    # "<namespace>" or "<namespace>/<app>" for targeted passes.
    target = models.CharField(max_length=120, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=PassStatus.choices, default=PassStatus.RUNNING)
    worker = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(_("checked"), default=0)
    applied = models.PositiveIntegerField(_("applied"), default=0)
    pruned = models.PositiveIntegerField(_("pruned"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    deferred = models.PositiveIntegerField(_("deferred (backing off)"), default=0)
    drifted = models.PositiveIntegerField(_("drifted"), default=0)
    prune_blocked = models.BooleanField(default=False)
    api_calls = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # Up to 50 failing objects: [{"kind", "namespace", "name", "error"}].
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["cluster", "scope", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.cluster_id} {self.scope} {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def status_enum(self) -> PassStatus:
        return PassStatus(self.status)


class DriftEvent(models.Model):
    """An out-of-band change to a managed object: what changed, when, and when it was put back."""

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    space = models.ForeignKey(
        "spaces.Space", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    app = models.ForeignKey(
        "workloads.App", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    app_name = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=40)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253)
    change = models.CharField(max_length=16, choices=DriftChange.choices)
    detail = models.TextField(blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    detected_at = models.DateTimeField(db_index=True)
    repaired_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["app", "-detected_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name} {self.change}"

    @property
    def change_enum(self) -> DriftChange:
        return DriftChange(self.change)


class ObjectFailure(models.Model):
    """A managed object whose apply or delete keeps failing: retried with backoff, not hammered."""

    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253)
    attempts = models.PositiveIntegerField(default=1)
    error = models.TextField(blank=True)
    first_failed_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "kind", "namespace", "name"], name="reconciler_one_failure"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name} x{self.attempts}"


class ObservedApp(models.Model):
    """An app's workload on one cluster as the last pass saw it (read by list pages)."""

    app = models.ForeignKey("workloads.App", on_delete=models.CASCADE, related_name="+")
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    workload_kind = models.CharField(max_length=40)
    desired_replicas = models.PositiveIntegerField(default=0)
    ready_replicas = models.PositiveIntegerField(default=0)
    available_replicas = models.PositiveIntegerField(default=0)
    updated_replicas = models.PositiveIntegerField(default=0)
    failed_replicas = models.PositiveIntegerField(default=0)  # failed pods of a Job
    ready = models.BooleanField(default=False)
    # When these figures last changed (a no-op pass writes nothing).
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["app", "cluster"], name="reconciler_observed_app")
        ]

    def __str__(self) -> str:
        return f"{self.app_id}@{self.cluster_id} {self.ready_replicas}/{self.desired_replicas}"


class ObservedSpace(models.Model):
    """A space's ResourceQuota on one cluster as the last pass saw it (hard and used)."""

    space = models.ForeignKey("spaces.Space", on_delete=models.CASCADE, related_name="+")
    cluster = models.ForeignKey("clusters.Cluster", on_delete=models.CASCADE, related_name="+")
    hard = models.JSONField(default=dict)
    used = models.JSONField(default=dict)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["space", "cluster"], name="reconciler_observed_space")
        ]

    def __str__(self) -> str:
        return f"{self.space_id}@{self.cluster_id}"
