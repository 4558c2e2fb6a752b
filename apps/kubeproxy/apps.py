from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KubeproxyConfig(AppConfig):
    name = "apps.kubeproxy"
    verbose_name = _("Kubernetes proxy")
