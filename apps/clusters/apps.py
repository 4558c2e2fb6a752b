from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.audit.redaction import register_secret_fields

SECRET_FIELDS = [
    "credentials_encrypted", "credentials", "token", "ca_data", "client_cert_data",
    "client_key_data", "kubeconfig",
]  # fmt: skip


class ClustersConfig(AppConfig):
    name = "apps.clusters"
    verbose_name = _("Clusters")

    def ready(self):
        register_secret_fields("clusters.Cluster", SECRET_FIELDS)
