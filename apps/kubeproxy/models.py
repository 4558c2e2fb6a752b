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
