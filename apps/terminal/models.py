"""Terminal sessions and their command log.

A session row outlives everything it names: the space, app and cluster may be deleted
later (SET_NULL, with their names copied), and retention may delete the recording
(`recording_deleted_at`, the row stays as history for the audit).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.terminal.choices import EndReason


class TerminalSession(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("Web terminal")
        K2CTL = "k2ctl", _("k2ctl / kubectl exec")

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
        related_name="terminal_sessions",
    )  # fmt: skip
    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="terminal_sessions",
    )  # fmt: skip
    app = models.ForeignKey(
        "workloads.App", verbose_name=_("app"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="terminal_sessions",
    )  # fmt: skip
    cluster = models.ForeignKey(
        "clusters.Cluster", verbose_name=_("cluster"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="terminal_sessions",
    )  # fmt: skip
    space_slug = models.CharField(_("space"), max_length=63, db_index=True)
    app_name = models.CharField(_("app"), max_length=63)
    cluster_name = models.CharField(_("cluster"), max_length=63)
    namespace = models.CharField(_("namespace"), max_length=63)
    pod = models.CharField(_("pod"), max_length=253)
    container = models.CharField(_("container"), max_length=63)
    shell = models.CharField(_("shell"), max_length=16)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    seen_at = models.DateTimeField(_("last seen"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, db_index=True)
    end_reason = models.CharField(_("why it ended"), max_length=16, choices=EndReason.choices,
                                  blank=True)  # fmt: skip
    end_message = models.CharField(_("message"), max_length=300, blank=True)
    exit_code = models.IntegerField(_("exit status"), null=True, blank=True)
    bytes_in = models.BigIntegerField(_("bytes typed"), default=0)
    bytes_out = models.BigIntegerField(_("bytes shown"), default=0)
    recording_key = models.CharField(_("recording"), max_length=300, blank=True)
    recording_sha256 = models.CharField(max_length=64, blank=True)
    recording_bytes = models.BigIntegerField(default=0)
    recording_deleted_at = models.DateTimeField(null=True, blank=True)
    server = models.CharField(_("served by"), max_length=200, blank=True)
    # How it was opened: the portal's web terminal, or exec through the Kubernetes proxy
    # (k2ctl, kubectl), whose command line is kept in `command`.
    channel = models.CharField(_("opened from"), max_length=8, choices=Channel.choices,
                               default=Channel.WEB)  # fmt: skip
    command = models.CharField(_("command"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("terminal session")
        verbose_name_plural = _("terminal sessions")
        ordering = ("-started_at", "-id")
        indexes = [
            models.Index(fields=["user", "ended_at"]),
            models.Index(fields=["space", "ended_at"]),
        ]

    def __str__(self):
        return f"{self.user} → {self.space_slug}/{self.pod}/{self.container}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class TerminalCommand(models.Model):
    """One line the user submitted at the shell prompt (reconstructed from the input)."""

    session = models.ForeignKey(TerminalSession, on_delete=models.CASCADE, related_name="commands")
    at = models.DateTimeField(_("time"))
    text = models.TextField(_("command"))

    class Meta:
        verbose_name = _("terminal command")
        verbose_name_plural = _("terminal commands")
        ordering = ("at", "id")
        indexes = [models.Index(fields=["session", "at"])]

    def __str__(self):
        return self.text[:80]
