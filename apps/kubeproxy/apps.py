from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KubeproxyConfig(AppConfig):
    name = "apps.kubeproxy"
    verbose_name = _("Kubernetes proxy")

    def ready(self) -> None:
        """Changes that may take access away end the proxy's cached answers (cache.py)."""
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from apps.accounts.models import PersonalAccessToken
        from apps.audit.models import AuditEvent
        from apps.kubeproxy import cache
        from apps.kubeproxy.models import CliSession
        from apps.spaces.models import Membership, SpaceCluster

        for model in (CliSession, PersonalAccessToken, get_user_model(), Membership, SpaceCluster):
            post_save.connect(cache.on_model_change, sender=model, weak=False)
            post_delete.connect(cache.on_model_change, sender=model, weak=False)
        post_save.connect(cache.on_audit, sender=AuditEvent, weak=False)
