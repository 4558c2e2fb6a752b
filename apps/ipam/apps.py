from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IpamConfig(AppConfig):
    name = "apps.ipam"
    verbose_name = _("Calico IPAM")
