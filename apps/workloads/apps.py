from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.audit.redaction import register_secret_fields

# Environment values and config files often hold passwords: the audit trail records that
# they changed, never what they hold.
SECRET_FIELDS = ["env", "config_files"]


class WorkloadsConfig(AppConfig):
    name = "apps.workloads"
    verbose_name = _("Apps")

    def ready(self):
        register_secret_fields("workloads.App", SECRET_FIELDS)
