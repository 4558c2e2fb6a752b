from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconcilerConfig(AppConfig):
    name = "apps.reconciler"
    verbose_name = _("Reconciler")
