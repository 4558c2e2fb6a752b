from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.operations.registry import autodiscover


class OperationsConfig(AppConfig):
    name = "apps.operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        autodiscover()
