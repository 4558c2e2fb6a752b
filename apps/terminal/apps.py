from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerminalConfig(AppConfig):
    name = "apps.terminal"
    verbose_name = _("Web terminal")

    def ready(self):
        from apps.terminal import revocation  # noqa: F401, PLC0415  (connects the signals)
