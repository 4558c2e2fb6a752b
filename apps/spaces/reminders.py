"""Expiry reminders of test spaces: once per window (default 7, 3 and 1 days before expiry)
every owner and admin gets an inbox notice and an email with a link to the renew page.

The hourly beat task (`workers.spaces.send_expiry_reminders`) calls
`do_send_expiry_reminders`; each reminder is claimed by inserting a SpaceReminder row under
the space's row lock, so a re-run or two racing tasks send nothing twice (the unique
constraint backs the lock). A renewal moves expires_at, which makes the windows due again.
Production and machine-learning spaces never expire and get no reminders.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from prometheus_client import Gauge

from apps.analytics.events import emit
from apps.approvals.choices import NotificationVerb
from apps.approvals.notifications import notify_space, send_emails
from apps.audit.actors import Actor
from apps.audit.services import authorize, record
from apps.clusters.choices import PRODUCTION_ENVIRONMENTS
from apps.clusters.models import ClusterPolicy
from apps.core.tasks import enqueue_on_commit
from apps.spaces.choices import SpaceRole, SpaceState
from apps.spaces.lifetime import days_left, due_window
from apps.spaces.models import Space, SpaceReminder
from apps.spaces.permissions import can_send_reminders
from apps.spaces.quota import policy_of

logger = logging.getLogger(__name__)

TASK_NAME = "workers.spaces.reminders"
EMAIL_TASK = "workers.spaces.send_reminder_email"
REMINDABLE_STATES = (SpaceState.ACTIVE, SpaceState.EXPIRING)
GAUGE_DAYS = 7
MAIL_DEDUPE_SECONDS = 8 * 24 * 3600  # longer than the widest default window


def _expiring_soon_count() -> int:
    """Live test spaces whose expiry is within GAUGE_DAYS (computed on every scrape)."""
    try:
        return expiring_spaces(timezone.now(), timedelta(days=GAUGE_DAYS)).count()
    except Exception:  # a scrape must never fail because the database is away
        logger.exception("counting expiring spaces failed")
        return 0


EXPIRING_SOON = Gauge(
    "k2_spaces_expiring_soon", f"Active test spaces that expire within {GAUGE_DAYS} days"
)
EXPIRING_SOON.set_function(_expiring_soon_count)


def windows_of(cluster) -> list[int]:
    """The reminder windows of a cluster's policy (largest first), else the installation's."""
    days = policy_of(cluster).get("reminder_days") or settings.K2_SPACES_REMINDER_DAYS
    return sorted({int(d) for d in days if int(d) > 0}, reverse=True)


def expiring_spaces(now, within: timedelta):
    """Test spaces that may be reminded: active or expiring, expiry in (now, now + within]."""
    return Space.objects.filter(
        state__in=REMINDABLE_STATES, expires_at__gt=now, expires_at__lte=now + within
    ).exclude(environment__in=sorted(PRODUCTION_ENVIRONMENTS))


def _widest_window() -> int:
    """The largest window of any cluster policy or the default (bounds the candidate query)."""
    widest = max(settings.K2_SPACES_REMINDER_DAYS or [0])
    for days in ClusterPolicy.objects.exclude(reminder_days=None).values_list(
        "reminder_days", flat=True
    ):
        widest = max(widest, *[int(d) for d in days or [0]])
    return widest


def recipients_of(space: Space) -> list:
    """The space's owner plus every member with the owner or admin role (active users)."""
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(pk=space.owner_id)
            | Q(
                space_memberships__space=space,
                space_memberships__role__in=[SpaceRole.OWNER, SpaceRole.ADMIN],
            )
        )
        .distinct()
        .order_by("pk")
    )


def renew_path(space: Space) -> str:
    return reverse("spaces:renew", args=[space.slug])


def renew_url(space: Space) -> str:
    return settings.K2_APPROVALS_PORTAL_URL.rstrip("/") + renew_path(space)


def do_send_space_reminder(space: Space, window: int, *, actor: Actor) -> SpaceReminder | None:
    """Remind the owners and admins of `space` for `window` of its current expiry, once.

    Returns the new SpaceReminder, or None when this window of this expiry was already sent
    (or the space no longer qualifies: renewed, expired, deleted meanwhile).
    """
    authorize(
        actor, "space.reminder", space, allowed=lambda: can_send_reminders(actor),
        message=_("Only the platform sends expiry reminders."), space=space,
        cluster=space.primary_cluster,
    )  # fmt: skip
    with transaction.atomic():
        locked = Space.objects.select_for_update().filter(pk=space.pk).first()
        if (
            locked is None
            or locked.state not in REMINDABLE_STATES
            or locked.environment in PRODUCTION_ENVIRONMENTS
            or locked.expires_at is None
            or locked.expires_at <= timezone.now()
        ):
            return None
        reminder, created = SpaceReminder.objects.get_or_create(
            space=locked, window_days=window, expires_at=locked.expires_at
        )
        if not created:
            return None
        users = recipients_of(locked)
        reminder.recipients = len(users)
        reminder.save(update_fields=["recipients"])
        notify_space(users, NotificationVerb.SPACE_EXPIRING, locked, link=renew_path(locked))
        record(
            actor, "space.reminder", locked,
            changes={"window_days": {"before": None, "after": window},
                     "expires_at": {"before": None, "after": locked.expires_at.isoformat()},
                     "recipients": {"before": None, "after": [u.get_username() for u in users]}},
            space=locked, cluster=locked.primary_cluster,
        )  # fmt: skip
        emit("space.reminded", actor=actor, space=locked, window_days=window,
             recipients=len(users))  # fmt: skip
        for user in users:
            if user.email:
                enqueue_on_commit(EMAIL_TASK, reminder.pk, user.pk)
    return reminder


def do_send_expiry_reminders(*, actor: Actor, now=None) -> dict:
    """Send every reminder due now; safe to run twice or concurrently (see the module)."""
    now = now or timezone.now()
    widest = _widest_window()
    checked = sent = 0
    if widest <= 0:
        return {"checked": 0, "sent": 0}
    candidates = expiring_spaces(now, timedelta(days=widest)).select_related(
        "primary_cluster__policy"
    )
    already = set(
        SpaceReminder.objects.filter(space__in=candidates).values_list(
            "space_id", "window_days", "expires_at"
        )
    )
    for space in candidates.order_by("expires_at", "pk"):
        checked += 1
        window = due_window(space.expires_at, windows_of(space.primary_cluster), now)
        if window is None or (space.pk, window, space.expires_at) in already:
            continue
        if do_send_space_reminder(space, window, actor=actor) is not None:
            sent += 1
    return {"checked": checked, "sent": sent}


def recipient_language(user) -> str:
    """The language a person reads their mail in: their preferred language when the user
    model has one, else the installation's LANGUAGE_CODE."""
    preferred = getattr(user, "preferred_language", "") or ""
    if preferred and preferred in dict(settings.LANGUAGES):
        return preferred
    return settings.LANGUAGE_CODE


def render_reminder_email(reminder: SpaceReminder, user) -> tuple[str, str]:
    """Subject and body of a reminder, in the recipient's language."""
    space = reminder.space
    with translation.override(recipient_language(user)):
        context = {
            "user": user,
            "space": space,
            "window_days": reminder.window_days,
            "expires_at": reminder.expires_at,
            "days_left": days_left(reminder.expires_at, timezone.now()),
            "renew_url": renew_url(space),
        }
        subject = render_to_string("spaces/email/reminder_subject.txt", context)
        body = render_to_string("spaces/email/reminder_body.txt", context)
    return " ".join(subject.split()), body


def send_reminder_email(reminder_id: int, user_id: int) -> int:
    """Email one recipient of one reminder (the Celery task calls this); 0 if gone."""
    reminder = SpaceReminder.objects.select_related("space").filter(pk=reminder_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if reminder is None or user is None or not user.email:
        return 0
    # A duplicate delivery of the task (acks_late, a worker lost after sending) finds the
    # key and sends nothing; a failed send frees it for the retry.
    key = f"spaces:reminder-mail:{reminder.pk}:{user.pk}"
    if not cache.add(key, "1", MAIL_DEDUPE_SECONDS):
        return 0
    subject, body = render_reminder_email(reminder, user)
    sent = send_emails(subject, body, [user.email])
    if not sent:
        cache.delete(key)
    return sent
