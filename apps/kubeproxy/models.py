"""k2ctl session tokens: short-lived bearer tokens made from a personal access token.

Only the SHA-256 of the secret is stored (like personal tokens); a session is usable while
it is not revoked, not expired, its personal token is usable and its user active.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SESSION_PREFIX = "k2s_"


class CliSession(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cli_sessions"
    )
    token = models.ForeignKey(
        "accounts.PersonalAccessToken", verbose_name=_("personal access token"),
        on_delete=models.CASCADE, related_name="cli_sessions",
    )  # fmt: skip
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    client = models.CharField(_("client"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("k2ctl session")
        verbose_name_plural = _("k2ctl sessions")

    def __str__(self) -> str:
        return f"k2ctl {self.prefix}… ({self.user})"


class DeviceLogin(models.Model):
    """A browser-free k2ctl login waiting for a person to confirm it in the portal (like
    RFC 8628's device authorization). Both codes are stored as SHA-256 only; the row is
    usable once, for K2_PROXY_DEVICE_MINUTES. The confirmer is whom the session belongs to."""

    device_code_hash = models.CharField(max_length=64, unique=True, editable=False)
    user_code_hash = models.CharField(max_length=64, unique=True, editable=False)
    client = models.CharField(_("host"), max_length=200, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    interval = models.PositiveIntegerField(default=5)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="k2ctl_device_logins",
    )  # fmt: skip
    approved = models.BooleanField(null=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    token = models.ForeignKey(
        "accounts.PersonalAccessToken", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    session = models.ForeignKey(
        CliSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("k2ctl device login")
        verbose_name_plural = _("k2ctl device logins")

    def __str__(self) -> str:
        return f"k2ctl device login from {self.client or '?'}"
