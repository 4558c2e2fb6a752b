"""Enums of the apps abstraction, with labels, badge colours and groupings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppKind(models.TextChoices):
    SERVICE = "service", _("Service")
    STATEFUL = "stateful", _("Stateful")
    JOB = "job", _("Job")
    CRONJOB = "cronjob", _("Cron job")

    @property
    def colour(self) -> str:
        return KIND_BADGE[self]

    @property
    def workload_kind(self) -> str:
        return WORKLOAD_KIND[self]


KIND_BADGE = {
    AppKind.SERVICE: "blue",
    AppKind.STATEFUL: "purple",
    AppKind.JOB: "teal",
    AppKind.CRONJOB: "cyan",
}
WORKLOAD_KIND = {
    AppKind.SERVICE: "Deployment",
    AppKind.STATEFUL: "StatefulSet",
    AppKind.JOB: "Job",
    AppKind.CRONJOB: "CronJob",
}
# Kinds whose replica count means something (scale, pause, placement weights, canary).
SCALABLE_KINDS = frozenset({AppKind.SERVICE, AppKind.STATEFUL})


class AppStatus(models.TextChoices):
    """What K2Cloud last knew about an app (the live view refines it from the clusters)."""

    PENDING = "pending", _("Pending")
    DEPLOYING = "deploying", _("Deploying")
    RUNNING = "running", _("Running")
    DEGRADED = "degraded", _("Degraded")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    DELETING = "deleting", _("Deleting")

    @property
    def colour(self) -> str:
        return STATUS_BADGE[self]


STATUS_BADGE = {
    AppStatus.PENDING: "secondary",
    AppStatus.DEPLOYING: "azure",
    AppStatus.RUNNING: "green",
    AppStatus.DEGRADED: "orange",
    AppStatus.PAUSED: "yellow",
    AppStatus.COMPLETED: "teal",
    AppStatus.FAILED: "red",
    AppStatus.DELETING: "purple",
}
# The portal keeps polling while an app is in one of these.
TRANSIENT_STATUSES = frozenset({AppStatus.PENDING, AppStatus.DEPLOYING, AppStatus.DELETING})


class ApplyStatus(models.TextChoices):
    """How the last apply of an app to one cluster went."""

    PENDING = "pending", _("Pending")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")

    @property
    def colour(self) -> str:
        return {"pending": "azure", "applied": "green", "failed": "red"}[self.value]
