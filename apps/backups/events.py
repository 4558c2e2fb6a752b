"""The analytics domain events of backups (registered on import; services emit them)."""

from django.utils.translation import gettext_lazy as _

from apps.analytics.events import register_event

register_event("backup.taken", _("Backup taken"))
register_event("backup.verified", _("Backup verified"))
register_event("backup.failed", _("Backup failed"))
