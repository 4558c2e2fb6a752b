"""IPAM cleanup: the policy of each cluster, the report of every run, and the candidates
a later run may release once their grace period has passed."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.ipam.choices import Mode, RunState, Trigger


class IpamPolicy(models.Model):
    """How K2Cloud treats one cluster's Calico IPAM (platform admins edit it)."""

    cluster = models.OneToOneField(
        "clusters.Cluster", verbose_name=_("cluster"), on_delete=models.CASCADE,
        related_name="ipam_policy",
    )  # fmt: skip
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.REPORT)
    grace_seconds = models.PositiveIntegerField(
        _("grace period (seconds)"), default=900, validators=[MaxValueValidator(7 * 86400)],
        help_text=_("A candidate is released only when two scans this far apart found it."),
    )  # fmt: skip
    release_bound = models.PositiveIntegerField(
        _("releases per run"), default=200, validators=[MinValueValidator(1), MaxValueValidator(10000)]
    )  # fmt: skip
    max_leaked_share = models.FloatField(
        _("stop above leaked share"), default=0.5,
        validators=[MinValueValidator(0.01), MaxValueValidator(1.0)],
        help_text=_("A run releases nothing when more than this share of a pool's allocated "
                    "addresses looks leaked (a sign the scan is wrong, not the cluster)."),
    )  # fmt: skip
    interval_seconds = models.PositiveIntegerField(
        _("scan every (seconds)"), default=600,
        validators=[MinValueValidator(60), MaxValueValidator(86400)],
    )  # fmt: skip
    pools = models.JSONField(
        _("K2Cloud's pools"), default=list, blank=True,
        help_text=_("Names of the IPPools K2Cloud may release from (empty: every enabled pool)."),
    )  # fmt: skip
    last_scheduled_at = models.DateTimeField(_("last scheduled"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("IPAM policy")
        verbose_name_plural = _("IPAM policies")

    def __str__(self) -> str:
        return f"IPAM policy of {self.cluster}"

    @property
    def mode_enum(self) -> Mode:
        return Mode(self.mode)


class IpamRun(models.Model):
    """One scan (and, in release mode, release) of one cluster, with its report."""

    cluster = models.ForeignKey(
        "clusters.Cluster", verbose_name=_("cluster"), on_delete=models.CASCADE,
        related_name="ipam_runs",
    )  # fmt: skip
    operation = models.ForeignKey(
        "operations.Operation", verbose_name=_("operation"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="ipam_runs",
    )  # fmt: skip
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=RunState.choices, default=RunState.RUNNING,
        db_index=True,
    )  # fmt: skip
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("IPAM run")
        verbose_name_plural = _("IPAM runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"IPAM run #{self.pk} of {self.cluster}"

    @property
    def state_enum(self) -> RunState:
        return RunState(self.state)

    @property
    def counts(self) -> dict:
        return (self.report or {}).get("counts") or {}


class LeakCandidate(models.Model):
    """An allocation a scan found leaked; released once a later scan, at least the grace
    period after the first, still finds it (and a fresh GET agrees)."""

    cluster = models.ForeignKey(
        "clusters.Cluster", on_delete=models.CASCADE, related_name="ipam_candidates"
    )
    # "allocation": an address; "handle": a pod handle with no allocation left (ip 0.0.0.0).
    kind = models.CharField(_("kind"), max_length=16, default="allocation")
    ip = models.GenericIPAddressField(_("address"))
    handle = models.CharField(_("handle"), max_length=253)
    block = models.CharField(_("block"), max_length=253)
    cidr = models.CharField(_("block CIDR"), max_length=64)
    ordinal = models.PositiveIntegerField(_("ordinal"))
    namespace = models.CharField(_("namespace"), max_length=253, blank=True)
    pod = models.CharField(_("pod"), max_length=253, blank=True)
    node = models.CharField(_("node"), max_length=253, blank=True)
    pool = models.CharField(_("pool"), max_length=253, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("leak candidate")
        verbose_name_plural = _("leak candidates")
        ordering = ["cluster", "cidr", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "ip", "handle"], name="ipam_candidate_once")
        ]

    def __str__(self) -> str:
        return f"{self.ip} ({self.handle})"


def defaults_for(cluster) -> dict:
    """A new policy's values: release on test clusters, report only everywhere else."""
    from apps.clusters.choices import Environment

    return {
        "mode": Mode.RELEASE if cluster.environment == Environment.TEST else Mode.REPORT,
        "grace_seconds": settings.K2_IPAM_GRACE_SECONDS,
        "release_bound": settings.K2_IPAM_RELEASE_BOUND,
        "max_leaked_share": settings.K2_IPAM_MAX_LEAKED_SHARE,
        "interval_seconds": settings.K2_IPAM_INTERVAL_SECONDS,
    }
