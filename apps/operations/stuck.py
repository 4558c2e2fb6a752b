"""The stuck-state sweep: spaces, apps and approval handlers that waited too long for a worker.

A state that is not final should move on by itself: provisioning becomes active or failed,
deleting becomes deleted, an app's deploy settles, an approved request's handler runs. When
the worker that should have moved it died (or its task was lost), nothing would. So every
such state has a retry a person can press (do_retry_space, do_retry_app, the handler's
operation), and this sweep presses it by itself once the state has not moved for
K2_STUCK_AFTER_SECONDS (default 300). Each press is audited as the sweeper's, and it moves
the clock of the row it pressed, so a state that stays stuck is pressed once per period,
never in a tight loop.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone
from rest_framework.exceptions import APIException

from apps.approvals import services as approval_services
from apps.approvals.choices import TERMINAL_STATES
from apps.approvals.models import ApprovalRequest
from apps.audit.actors import Actor
from apps.reconciler.follow import awaited
from apps.reconciler.operations import close_abandoned_passes
from apps.spaces.choices import SpaceState
from apps.spaces.models import Space
from apps.spaces.services import do_retry_space
from apps.workloads.choices import ApplyStatus, AppStatus
from apps.workloads.models import App
from apps.workloads.services import WRITABLE_SPACE_STATES, do_retry_app

log = logging.getLogger(__name__)
SWEEPER = Actor.system("workers.operations.sweep")


def stuck_after() -> timedelta:
    return timedelta(seconds=settings.K2_STUCK_AFTER_SECONDS)


def stuck_spaces(now=None):
    """Spaces provisioning or deleting whose state and row have not moved for the period."""
    cutoff = (now or timezone.now()) - stuck_after()
    return Space.objects.filter(
        Q(state_changed_at__lt=cutoff) | Q(state_changed_at__isnull=True),
        state__in=[SpaceState.PROVISIONING, SpaceState.DELETING], updated_at__lt=cutoff,
    )  # fmt: skip


def stuck_apps(now=None, *, limit: int = 200) -> list:
    """Apps untouched for the period (deleting, or in a space whose apps may change) whose
    newest generation was never applied, that are deleting, with a cluster whose apply is
    still pending, or deploying with no follow-up look to come (its worker died with the
    delayed look: apps/reconciler/follow.py). A rollout still being followed is not stuck."""
    cutoff = (now or timezone.now()) - stuck_after()
    waiting = (
        Q(status=AppStatus.DELETING)
        | Q(status=AppStatus.PENDING, applied_generation__lt=F("generation"))
        | Q(status=AppStatus.DEPLOYING)
        | Q(placements__status=ApplyStatus.PENDING)
    )
    apps = list(
        App.objects.filter(waiting, updated_at__lt=cutoff)
        .filter(Q(space__state__in=WRITABLE_SPACE_STATES) | Q(status=AppStatus.DELETING))
        .select_related("space")
        .distinct()
        .order_by("updated_at")[:limit]
    )
    followed = [a.pk for a in apps
                if a.status == AppStatus.DEPLOYING and a.applied_generation >= a.generation]  # fmt: skip
    awaited_ids = awaited(followed)
    return [a for a in apps if a.pk not in awaited_ids]


def unhandled_requests(now=None):
    """Decided approval requests whose handler never ran (and did not fail)."""
    cutoff = (now or timezone.now()) - stuck_after()
    return ApprovalRequest.objects.filter(
        state__in=TERMINAL_STATES, handled_at__isnull=True, handler_error="",
        decided_at__lt=cutoff,
    )  # fmt: skip


def do_sweep_stuck(now=None, *, limit: int = 200) -> dict:
    """Press retry on every stuck space, app and approval handler (see the module doc)."""
    counts = {"spaces": 0, "apps": 0, "handlers": 0, "passes": close_abandoned_passes(now)}
    for space in stuck_spaces(now)[:limit]:
        try:
            do_retry_space(space, actor=SWEEPER)
            counts["spaces"] += 1
        except (APIException, ValidationError) as exc:  # it moved on meanwhile: nothing to do
            log.info("stuck sweep: space %s: %s", space.slug, exc)
        except Exception:  # one odd row must not stop the sweep
            log.exception("stuck sweep: space %s", space.slug)
    for app in stuck_apps(now, limit=limit):
        try:
            do_retry_app(app, actor=SWEEPER)
            counts["apps"] += 1
        except (APIException, ValidationError) as exc:
            log.info("stuck sweep: app %s: %s", app.pk, exc)
        except Exception:
            log.exception("stuck sweep: app %s", app.pk)
    for pk in unhandled_requests(now).values_list("pk", flat=True)[:limit]:
        try:
            approval_services.enqueue_handler(pk)
            counts["handlers"] += 1
        except Exception:
            log.exception("stuck sweep: approval request %s", pk)
    return counts
