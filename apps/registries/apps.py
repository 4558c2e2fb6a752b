from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistriesConfig(AppConfig):
    name = "apps.registries"
    verbose_name = _("Image registries")

    def ready(self) -> None:
        from apps.registries import backends

        backends.autodiscover()
