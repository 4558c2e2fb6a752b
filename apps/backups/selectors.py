"""Reads of backups, already restricted to what the user may see.

A backup is visible with its space (members and platform admins); one whose space is gone
only to platform admins. Not visible is a 404; visible but not allowed a 403 (services).
"""

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from apps.accounts.roles import is_platform_admin
from apps.backups.models import Backup
from apps.spaces.models import Space
from apps.spaces.selectors import spaces_visible_to


def backups_visible_to(user) -> QuerySet[Backup]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Backup.objects.none()
    backups = Backup.objects.select_related("operation")
    if is_platform_admin(user):
        return backups.all()
    return backups.filter(space__in=spaces_visible_to(user).values("pk"))


def backups_of_space(space: Space) -> QuerySet[Backup]:
    """The space's backups, newest first (the space was looked up for the user already)."""
    return (
        Backup.objects.filter(space=space)
        .select_related("operation")
        .order_by("-created_at", "-id")
    )


def get_backup_or_404(user, pk: int) -> Backup:
    backup = backups_visible_to(user).filter(pk=pk).first()
    if backup is None:
        raise Http404(_("No backup %(id)s that you can see.") % {"id": pk})
    return backup
