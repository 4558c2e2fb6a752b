from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "apps.operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from apps.operations.registry import autodiscover

        autodiscover()
