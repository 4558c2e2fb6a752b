"""In-portal notifications and email about approval requests (and the portal's one inbox
of notices: space notices such as expiry reminders are written by `notify_space`).

Notification rows are written inside the service's transaction (they commit with the
change); emails go out on commit through Django's email backend, and a failing mail
server is logged, never raised: the decision stands whether or not the mail left.
"""

import logging

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.approvals.choices import NotificationVerb
from apps.approvals.models import ApprovalRequest, Notification
from apps.core.tasks import enqueue

logger = logging.getLogger(__name__)


def _subject(verb: str, request: ApprovalRequest) -> str:
    return _("[K2Cloud] Request #%(id)s (%(kind)s) %(verb)s") % {
        "id": request.pk,
        "kind": request.kind,
        "verb": NotificationVerb(verb).label,
    }


def _body(verb: str, request: ApprovalRequest, actor_name: str) -> str:
    base = settings.K2_APPROVALS_PORTAL_URL.rstrip("/")
    step = request.step
    lines = [
        _subject(verb, request).removeprefix("[K2Cloud] "),
        "",
        _("Requested by: %(who)s") % {"who": request.requester.get_username()},
        _("Reason: %(reason)s") % {"reason": request.reason},
        _("State: %(state)s") % {"state": request.get_state_display()},
    ]
    if request.target_name:
        lines.append(_("Target: %(target)s") % {"target": request.target_name})
    if step is not None:
        lines.append(
            _("Current step: %(n)s. %(name)s")
            % {"n": request.current_step + 1, "name": step["name"]}
        )
    if actor_name:
        lines.append(_("By: %(who)s") % {"who": actor_name})
    lines += ["", base + request.get_absolute_url()]
    return "\n".join(lines)


def notify(users, verb: str, request: ApprovalRequest, *, actor=None) -> list[Notification]:
    """Notify `users` (minus the actor) in the portal now and by email on commit."""
    actor_pk = getattr(actor, "pk", None)
    actor_name = actor.get_username() if actor_pk else ""
    recipients = {u.pk: u for u in users if u.pk != actor_pk and u.is_active}
    if not recipients:
        return []
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        Notification(user=u, verb=verb, request=request, actor_name=actor_name, created_at=now)
        for u in recipients.values()
    )
    emails = [u.email for u in recipients.values() if u.email]
    if emails:
        subject, body = _subject(verb, request), _body(verb, request, actor_name)
        transaction.on_commit(lambda: enqueue_emails(subject, body, emails))
    return rows


def notify_space(users, verb: str, space, *, link: str) -> list[Notification]:
    """Inbox notices about a space (in the caller's transaction); emails are the caller's."""
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(user=u, verb=verb, space=space, link=link[:300], created_at=now)
        for u in users
        if u.is_active
    )


def enqueue_emails(subject: str, body: str, recipients: list[str]) -> None:
    """Send off the request path: a large approver group must not slow the deciding click."""
    enqueue("workers.approvals.send_notification_emails", subject, body, recipients)


def send_emails(subject: str, body: str, recipients: list[str]) -> int:
    """One message per recipient (no one sees the others' addresses); failures are logged."""
    if not settings.K2_APPROVALS_EMAIL_ENABLED:
        return 0
    messages = [
        mail.EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in recipients
    ]
    try:
        return mail.get_connection(fail_silently=False).send_messages(messages) or 0
    except Exception:
        logger.exception("approval email %r to %d recipients failed", subject, len(recipients))
        return 0


def mark_read(user, *, request: ApprovalRequest | None = None, space=None) -> int:
    """Mark `user`'s unread notifications (about one request, one space, or all) read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if request is not None:
        unread = unread.filter(request=request)
    if space is not None:
        unread = unread.filter(space=space)
    return unread.update(read_at=timezone.now())
