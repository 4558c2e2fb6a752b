"""What the lifecycle tells people when it cannot do its work: an inbox notice (with the
nav badge) and an email, in each recipient's language, to the space's owners and admins
and to the platform admins. Written in the caller's transaction; mail leaves on commit."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from apps.accounts.roles import Role
from apps.approvals.choices import NotificationVerb
from apps.approvals.notifications import enqueue_emails, notify_space
from apps.spaces.models import Space
from apps.spaces.reminders import recipient_language, recipients_of


def _platform_admins() -> list:
    users = get_user_model().objects.filter(is_active=True)
    return list(users.filter(Q(groups__name=Role.PLATFORM_ADMIN) | Q(is_superuser=True)).distinct())


def backup_failed(space: Space, reason: str) -> None:
    """The space's backup failed, so it was not destroyed: say why, and when it is tried again."""
    users = {u.pk: u for u in recipients_of(space) + _platform_admins()}.values()
    link = reverse("spaces:detail", args=[space.slug])
    with transaction.atomic():
        notify_space(users, NotificationVerb.BACKUP_FAILED, space, link=link)
    for user in users:
        if not user.email:
            continue
        with translation.override(recipient_language(user)):
            subject = _("K2Cloud: space %(space)s could not be backed up") % {"space": space.slug}
            body = _(
                "Space %(space)s expired, but its backup failed, so it was not destroyed:\n\n"
                "%(reason)s\n\nK2Cloud tries again later. Renew the space or fix the cause: "
                "%(link)s"
            ) % {"space": space.slug, "reason": reason,
                 "link": settings.K2_APPROVALS_PORTAL_URL.rstrip("/") + link}  # fmt: skip
        transaction.on_commit(lambda s=subject, b=body, e=user.email: enqueue_emails(s, b, [e]))
