"""Enums of the apps abstraction, with labels, badge colours and groupings."""

from django.utils.translation import gettext_lazy as _

from apps.core.choices import ColourChoices


class AppKind(ColourChoices):
    SERVICE = "service", "blue", _("Service")
    STATEFUL = "stateful", "purple", _("Stateful")
    JOB = "job", "teal", _("Job")
    CRONJOB = "cronjob", "cyan", _("Cron job")

    @property
    def workload_kind(self) -> str:
        return WORKLOAD_KIND[self]


WORKLOAD_KIND = {
    AppKind.SERVICE: "Deployment",
    AppKind.STATEFUL: "StatefulSet",
    AppKind.JOB: "Job",
    AppKind.CRONJOB: "CronJob",
}
# Kinds whose replica count means something (scale, pause, placement weights, canary).
SCALABLE_KINDS = frozenset({AppKind.SERVICE, AppKind.STATEFUL})


class AppStatus(ColourChoices):
    """What K2Cloud last knew about an app (the live view refines it from the clusters)."""

    PENDING = "pending", "secondary", _("Pending")
    DEPLOYING = "deploying", "azure", _("Deploying")
    RUNNING = "running", "green", _("Running")
    DEGRADED = "degraded", "orange", _("Degraded")
    PAUSED = "paused", "yellow", _("Paused")
    COMPLETED = "completed", "teal", _("Completed")
    FAILED = "failed", "red", _("Failed")
    DELETING = "deleting", "purple", _("Deleting")


# The portal keeps polling while an app is in one of these.
TRANSIENT_STATUSES = frozenset({AppStatus.PENDING, AppStatus.DEPLOYING, AppStatus.DELETING})


class ApplyStatus(ColourChoices):
    """How the last apply of an app to one cluster went."""

    PENDING = "pending", "azure", _("Pending")
    APPLIED = "applied", "green", _("Applied")
    FAILED = "failed", "red", _("Failed")
