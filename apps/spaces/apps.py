from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpacesConfig(AppConfig):
    name = "apps.spaces"
    verbose_name = _("Spaces")

    def ready(self) -> None:
        from apps.spaces import reminders  # noqa: F401  (registers the expiring-spaces gauge)
        from apps.spaces.approvals import register  # imports models: only once they are loaded

        register()
