"""Clusters K2Cloud places spaces on, their policies and their probe history."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.clusters.choices import ClusterState, Environment, Health
from apps.clusters.kubeconfig import Credentials
from apps.core import crypto


class Cluster(models.Model):
    """One Kubernetes cluster: identity, encrypted credentials, health and capacity."""

    name = models.SlugField(_("name"), max_length=63, unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    environment = models.CharField(_("environment"), max_length=16, choices=Environment.choices)
    region = models.CharField(_("region"), max_length=63, blank=True)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    api_url = models.URLField(_("API server"), max_length=300)
    # Credentials (server, CA, token or client certificate) as MultiFernet ciphertext.
    credentials_encrypted = models.TextField(editable=False)
    # Bumped on every credential change: the gateway rebuilds its client when it moves.
    credentials_version = models.PositiveIntegerField(default=1, editable=False)
    verify_tls = models.BooleanField(_("verify TLS"), default=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    cordoned = models.BooleanField(_("cordoned"), default=False)

    health = models.CharField(max_length=16, choices=Health.choices, default=Health.UNKNOWN)
    health_changed_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_probe_at = models.DateTimeField(null=True, blank=True)
    last_probe_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    kubernetes_version = models.CharField(max_length=64, blank=True)
    nodes = models.JSONField(default=list, blank=True)
    node_count = models.PositiveIntegerField(default=0)
    cpu_capacity_m = models.BigIntegerField(default=0)
    cpu_allocatable_m = models.BigIntegerField(default=0)
    cpu_requested_m = models.BigIntegerField(default=0)
    cpu_limits_m = models.BigIntegerField(default=0)
    memory_capacity = models.BigIntegerField(default=0)
    memory_allocatable = models.BigIntegerField(default=0)
    memory_requested = models.BigIntegerField(default=0)
    memory_limits = models.BigIntegerField(default=0)
    pods_capacity = models.PositiveIntegerField(default=0)
    pods_allocatable = models.PositiveIntegerField(default=0)
    pods_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["environment", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("clusters:detail", args=[self.name])

    @property
    def slug(self) -> str:
        """The audit trail scopes events by slug: a cluster's is its name."""
        return self.name

    @property
    def title(self) -> str:
        return self.display_name or self.name

    @property
    def state(self) -> str:
        if not self.enabled:
            return ClusterState.DISABLED
        if self.cordoned:
            return ClusterState.CORDONED
        return ClusterState(self.health)

    def get_state_display(self) -> str:
        return str(ClusterState(self.state).label)

    def set_credentials(self, credentials) -> None:
        self.credentials_encrypted = crypto.encrypt(credentials.to_json())

    def get_credentials(self):
        return Credentials.from_json(crypto.decrypt(self.credentials_encrypted))


class PolicyFields(models.Model):
    """What a policy decides; shared by environment defaults and per-cluster policies."""

    cpu_overcommit = models.DecimalField(
        _("CPU overcommit ratio"), max_digits=5, decimal_places=2, default=Decimal("4"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("Requests are limits divided by this ratio."),
    )  # fmt: skip
    memory_overcommit = models.DecimalField(
        _("memory overcommit ratio"), max_digits=5, decimal_places=2, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("1"))],
    )  # fmt: skip
    default_quota_cpu = models.CharField(_("default space CPU quota"), max_length=16, default="4")
    default_quota_memory = models.CharField(
        _("default space memory quota"), max_length=16, default="8Gi"
    )
    max_quota_cpu = models.CharField(_("maximum space CPU quota"), max_length=16, default="32")
    max_quota_memory = models.CharField(
        _("maximum space memory quota"), max_length=16, default="64Gi"
    )
    default_lifetime_days = models.PositiveIntegerField(
        _("default lifetime of a test space (days)"), null=True, blank=True
    )
    renewal_days = models.PositiveIntegerField(_("renewal length (days)"), null=True, blank=True)
    renewal_cap_days = models.PositiveIntegerField(
        _("longest total lifetime with renewals (days)"), null=True, blank=True
    )
    # Days before expiry at which owners and admins are reminded; null: K2_SPACES_REMINDER_DAYS.
    reminder_days = models.JSONField(
        _("reminder days before expiry"), null=True, blank=True, default=None
    )
    terminal_allowed = models.BooleanField(_("web terminal allowed"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class EnvironmentPolicy(PolicyFields):
    """The policy a newly registered cluster of an environment starts with."""

    environment = models.CharField(max_length=16, choices=Environment.choices, unique=True)
    # Where the Filebeat of this environment's clusters ships logs (docs/log-collection.md):
    # {"type": elasticsearch|logstash|kafka, "hosts": [...], "index": ..., "topic": ...};
    # empty: no log collection on these clusters.
    log_output = models.JSONField(_("log output"), default=dict, blank=True)

    class Meta:
        ordering = ["environment"]

    def __str__(self) -> str:
        return f"defaults for {self.environment}"


class ClusterPolicy(PolicyFields):
    """The policy of one cluster (overcommit, quotas, lifetimes, terminal)."""

    cluster = models.OneToOneField(Cluster, on_delete=models.CASCADE, related_name="policy")
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"policy of {self.cluster_id}"


class ProbeRecord(models.Model):
    """One health probe of a cluster: outcome, duration and what it found."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="probes")
    at = models.DateTimeField(db_index=True)
    ok = models.BooleanField()
    health = models.CharField(max_length=16, choices=Health.choices)
    duration_ms = models.PositiveIntegerField(default=0)
    retried_errors = models.PositiveIntegerField(default=0)
    node_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["cluster", "-at"])]

    def __str__(self) -> str:
        return f"{self.cluster_id} {self.at:%Y-%m-%d %H:%M:%S} {self.health}"
