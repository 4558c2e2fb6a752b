"""Registry connections (credentials encrypted at rest, never returned) and the report of
every retention or garbage-collection run."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import decrypt, encrypt
from apps.registries.choices import RegistryKind, RunMode, RunState


class Registry(models.Model):
    name = models.SlugField(_("name"), max_length=63, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=RegistryKind.choices)
    url = models.URLField(_("URL"), max_length=300)
    username = models.CharField(_("username"), max_length=150, blank=True)
    password_encrypted = models.TextField(blank=True)
    # The hosts images of this registry are pulled by (image references name it so).
    pull_host = models.CharField(
        _("pull host"), max_length=300, blank=True,
        help_text=_("The host[:port] cluster image references use; default: the URL's."),
    )  # fmt: skip
    mode = models.CharField(_("mode"), max_length=16, choices=RunMode.choices,
                            default=RunMode.DRY_RUN)  # fmt: skip
    policy = models.JSONField(
        _("policy overrides"), default=dict, blank=True,
        help_text=_("keep_last, keep_days, protected; and per repository under 'repositories'."),
    )  # fmt: skip
    clusters = models.ManyToManyField(
        "clusters.Cluster", verbose_name=_("clusters pulling from it"), blank=True,
        related_name="image_registries",
        help_text=_("Empty: every registered cluster is taken to pull from it."),
    )  # fmt: skip
    enabled = models.BooleanField(_("scheduled runs"), default=True)
    gc_hour = models.PositiveSmallIntegerField(_("GC hour"), default=3)
    health = models.CharField(_("health"), max_length=200, blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    last_scheduled_at = models.DateTimeField(null=True, blank=True)
    last_gc_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("image registry")
        verbose_name_plural = _("image registries")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_password(self, password: str) -> None:
        self.password_encrypted = encrypt(password) if password else ""

    @property
    def password(self) -> str:
        return decrypt(self.password_encrypted) if self.password_encrypted else ""

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return self.pull_host or urlsplit(self.url).netloc


class RegistryRun(models.Model):
    """One retention run (preview or delete) or GC of one registry, with its report."""

    RETENTION, GC = "retention", "gc"
    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="runs")
    operation = models.ForeignKey(
        "operations.Operation", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="registry_runs",
    )  # fmt: skip
    what = models.CharField(_("what"), max_length=16, default=RETENTION)
    mode = models.CharField(_("mode"), max_length=16, choices=RunMode.choices)
    state = models.CharField(_("state"), max_length=16, choices=RunState.choices,
                             default=RunState.RUNNING)  # fmt: skip
    preview = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The dry run whose decisions this run carried out."),
    )  # fmt: skip
    report = models.JSONField(_("report"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    bytes_reclaimed = models.BigIntegerField(_("bytes reclaimed"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("registry run")
        verbose_name_plural = _("registry runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.what} run #{self.pk} of {self.registry}"
