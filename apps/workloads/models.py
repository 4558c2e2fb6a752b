"""Apps (K2's abstraction over Deployments, StatefulSets, Jobs...), their revisions and placement."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.workloads.choices import AppKind, ApplyStatus, AppStatus


class App(models.Model):
    """An application in a space: the desired state K2Cloud renders into Kubernetes objects."""

    space = models.ForeignKey("spaces.Space", on_delete=models.CASCADE, related_name="apps")
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=AppKind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    replicas = models.PositiveIntegerField(_("replicas"), default=1)
    paused = models.BooleanField(_("paused"), default=False)
    # The replica count to come back to on resume (replicas stay untouched while paused).
    paused_replicas = models.PositiveIntegerField(null=True, blank=True)
    revision = models.ForeignKey(
        "AppRevision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    canary_revision = models.ForeignKey(
        "AppRevision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    canary_weight = models.PositiveSmallIntegerField(_("canary weight"), default=0)
    canary_replicas = models.PositiveSmallIntegerField(_("canary replicas"), default=1)
    restarted_at = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=16, choices=AppStatus.choices, default=AppStatus.PENDING)
    status_message = models.TextField(blank=True)
    # Bumped by every change of desired state; an apply records the generation it applied.
    generation = models.PositiveIntegerField(default=1)
    applied_generation = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["space_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["space", "name"],
                name="workloads_app_unique_name_per_space",
                violation_error_message=_("An app with this name already exists in the space."),
            )
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.space_id}/{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("workloads:detail", args=[self.space.slug, self.name])

    def audit_label(self) -> str:
        """How people name an app: space/app."""
        return f"{self.space.slug}/{self.name}"

    @property
    def kind_enum(self) -> AppKind:
        return AppKind(self.kind)

    @property
    def status_enum(self) -> AppStatus:
        return AppStatus(self.status)

    @property
    def has_canary(self) -> bool:
        return self.canary_revision_id is not None


class AppRevision(models.Model):
    """An immutable snapshot of an app's spec, with its author, time and message."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    spec_hash = models.CharField(max_length=64)
    message = models.CharField(_("message"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150, blank=True)
    # Set when this revision was made by rolling back to (or promoting) another one.
    source_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["app_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["app", "number"], name="workloads_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.app_id}#{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Revisions are immutable: make a new one instead."))
        super().save(*args, **kwargs)


class AppCluster(models.Model):
    """One cluster an app runs on: its replica weight and how the last apply there went."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="placements")
    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.PROTECT, related_name="app_placements"
    )
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    status = models.CharField(
        max_length=16, choices=ApplyStatus.choices, default=ApplyStatus.PENDING
    )
    error = models.TextField(blank=True)
    applied_generation = models.PositiveIntegerField(default=0)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["app_id", "-weight", "cluster__name"]
        constraints = [
            models.UniqueConstraint(fields=["app", "cluster"], name="workloads_one_per_cluster")
        ]

    def __str__(self) -> str:
        return f"{self.app_id}@{self.cluster_id}"
