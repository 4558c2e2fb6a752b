"""Every write of the analytics app: drain the queue, roll days up, forward, purge, opt out.

The request path only queues (buffer.push); these run in Celery tasks (workers/analytics.py)
and are safe to run twice: a drain takes disjoint batches, a rollup replaces its day, the
forwarder holds a lock that skips rather than waits.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics import buffer
from apps.analytics.choices import ERROR_STATUS, PURGEABLE_FORWARD_STATES, EventKind, ForwardState
from apps.analytics.models import (
    AnalyticsOptOut,
    DailyEventCount,
    DailyUsage,
    ForwarderState,
    RollupRun,
    UsageEvent,
)
from apps.analytics.permissions import can_change_analytics_consent, can_requeue_dead_letters
from apps.analytics.privacy import (
    excluded_user_ids,
    forget_cached_exclusions,
    retention_days,
    rollup_retention_days,
)
from apps.audit.actors import Actor
from apps.audit.services import record
from apps.spaces.models import Space

log = logging.getLogger(__name__)


def forwarding_enabled() -> bool:
    return bool(settings.K2_ANALYTICS_FORWARD_URL)


def initial_forward_state() -> str:
    """Events recorded while forwarding is configured wait for it; others never go out."""
    return ForwardState.PENDING if forwarding_enabled() else ForwardState.OFF


# --- drain: Redis list → UsageEvent rows ---------------------------------------------------
def _parse_time(value) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return timezone.now()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _space_environments(slugs: set[str]) -> dict[str, str]:
    if not slugs:
        return {}

    return dict(Space.objects.filter(slug__in=slugs).values_list("slug", "environment"))


def _rows(events: list[dict], excluded: set[int]) -> list[UsageEvent]:
    """1. drop excluded people; 2. drop users deleted meanwhile; 3. add space environments."""
    user_ids: set[int] = {e["user"] for e in events if e.get("user")}
    existing = set(
        get_user_model().objects.filter(id__in=user_ids - excluded).values_list("id", flat=True)
    )
    environments = _space_environments({e["space"] for e in events if e.get("space")})
    forward = initial_forward_state()
    rows = []
    for e in events:
        user_id = e.get("user")
        if user_id and user_id in excluded:
            continue
        space = (e.get("space") or "")[:63]
        rows.append(
            UsageEvent(
                kind=e.get("kind") or EventKind.REQUEST,
                occurred_at=_parse_time(e.get("at")),
                user_id=user_id if user_id in existing else None,
                feature=(e.get("feature") or "other")[:64],
                route=(e.get("route") or "")[:100],
                source=(e.get("source") or "system")[:8],
                method=(e.get("method") or "")[:8],
                status=e.get("status"),
                latency_ms=e.get("latency_ms"),
                space_slug=space,
                environment=(e.get("environment") or environments.get(space, ""))[:16],
                ip=e.get("ip") or None,
                props=e.get("props") or {},
                request_id=(e.get("request_id") or "")[:64],
                forward_state=forward,
            )
        )
    return rows


def do_drain_events(*, batch_size: int | None = None, max_batches: int | None = None) -> int:
    """Move queued events into the database, batch by batch; returns how many were written.

    A batch that cannot be written goes back to the queue's oldest end before the error
    propagates, so a database outage delays events instead of losing them.
    """
    size = batch_size or settings.K2_ANALYTICS_DRAIN_BATCH
    limit = max_batches or settings.K2_ANALYTICS_DRAIN_MAX_BATCHES
    buffer.flush()  # this process's own pending batch first (tests, management commands)
    excluded = excluded_user_ids()
    written = 0
    for _batch in range(limit):
        events = buffer.pop_batch(size)
        if not events:
            break
        try:
            rows = _rows(events, excluded)
            with transaction.atomic():
                UsageEvent.objects.bulk_create(rows, batch_size=500)
        except Exception:
            buffer.push_back(events)
            raise
        written += len(rows)
    return written


# --- rollups -------------------------------------------------------------------------------
def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def do_rollup_day(day: date, *, now: datetime | None = None) -> RollupRun | None:
    """Recompute one day's rollups from the raw events, replacing what was there.

    1. refuse days older than raw retention (their raw events may be gone: keep the rollup);
    2. lock the day's RollupRun row so two runs of one day never interleave;
    3. delete the day's rows and insert the fresh aggregates, in one transaction.
    """
    now = now or timezone.now()
    if day < timezone.localdate(now) - timedelta(days=retention_days()):
        return RollupRun.objects.filter(day=day).first()
    start, end = day_bounds(day)
    events = UsageEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    requests = (
        events.filter(kind=EventKind.REQUEST)
        .values("user_id", "feature", "source", "space_slug", "environment")
        .annotate(
            n=Count("id"),
            errors=Count("id", filter=Q(status__gte=ERROR_STATUS)),
            latency_total=Sum("latency_ms"),
            latency_max=Max("latency_ms"),
        )
        .order_by()
    )
    domain = (
        events.filter(kind=EventKind.DOMAIN)
        .values("feature", "environment")
        .annotate(n=Count("id"), actors=Count("user_id", distinct=True))
        .order_by()
    )
    with transaction.atomic():
        run, _created = RollupRun.objects.get_or_create(day=day, defaults={"computed_at": now})
        run = RollupRun.objects.select_for_update().get(pk=run.pk)
        usage_rows = [
            DailyUsage(
                day=day,
                user_id=r["user_id"],
                feature=r["feature"],
                source=r["source"],
                space_slug=r["space_slug"],
                environment=r["environment"],
                requests=r["n"],
                errors=r["errors"],
                latency_ms_total=r["latency_total"] or 0,
                latency_ms_max=r["latency_max"] or 0,
            )
            for r in requests
        ]
        event_rows = [
            DailyEventCount(
                day=day,
                name=r["feature"],
                environment=r["environment"],
                count=r["n"],
                actors=r["actors"],
            )
            for r in domain
        ]
        DailyUsage.objects.filter(day=day).delete()
        DailyEventCount.objects.filter(day=day).delete()
        DailyUsage.objects.bulk_create(usage_rows, batch_size=1000)
        DailyEventCount.objects.bulk_create(event_rows, batch_size=1000)
        run.computed_at = now
        run.requests = sum(r.requests for r in usage_rows)
        run.domain_events = sum(r.count for r in event_rows)
        run.users = len({r.user_id for r in usage_rows if r.user_id})
        run.save(update_fields=["computed_at", "requests", "domain_events", "users"])
    return run


def do_refresh_today(*, now: datetime | None = None) -> RollupRun | None:
    """Roll today up again if its rollup is older than K2_ANALYTICS_TODAY_MAX_AGE seconds.

    Run after every drain that wrote something, so the dashboard's current-day figures
    trail the analyst's own clicks by a drain and this age (about a minute), while the
    full two-day rollup keeps its slower beat interval.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = RollupRun.objects.filter(day=today).first()
    max_age = timedelta(seconds=settings.K2_ANALYTICS_TODAY_MAX_AGE)
    if run is not None and run.computed_at > now - max_age:
        return run
    return do_rollup_day(today, now=now)


def do_rollup_recent(now: datetime | None = None, days: int | None = None) -> list[str]:
    """Roll up today and the days before it (late drains still land in yesterday)."""
    now = now or timezone.now()
    count = days or settings.K2_ANALYTICS_ROLLUP_DAYS
    today = timezone.localdate(now)
    done = []
    for back in range(count - 1, -1, -1):
        day = today - timedelta(days=back)
        do_rollup_day(day, now=now)
        done.append(day.isoformat())
    return done


# --- forwarding to an external endpoint ----------------------------------------------------
class ForwardError(Exception):
    """The endpoint refused a batch; permanent means retrying the same batch cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def serialize_event(event: UsageEvent) -> dict:
    """The forwarded shape of an event; `id` lets the receiver drop duplicates."""
    return {
        "id": event.pk,
        "kind": event.kind,
        "time": event.occurred_at.isoformat(),
        "user": event.user_id,
        "feature": event.feature,
        "route": event.route,
        "source": event.source,
        "method": event.method,
        "status": event.status,
        "latency_ms": event.latency_ms,
        "space": event.space_slug,
        "environment": event.environment,
        "network": event.ip,
        "props": event.props,
    }


def _post(url: str, events: list[UsageEvent]) -> None:
    body = json.dumps(
        {"source": "k2cloud", "events": [serialize_event(e) for e in events]}, default=str
    ).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "k2cloud-analytics/1"}
    token = settings.K2_ANALYTICS_FORWARD_TOKEN
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    timeout = settings.K2_ANALYTICS_FORWARD_TIMEOUT
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as exc:
        # 4xx other than timeouts and throttling will not change on a retry.
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 409, 425, 429)
        raise ForwardError(f"HTTP {exc.code}", permanent=permanent) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise ForwardError(str(getattr(exc, "reason", exc))) from exc


def backoff_seconds(failures: int) -> float:
    base = settings.K2_ANALYTICS_FORWARD_BACKOFF
    cap = settings.K2_ANALYTICS_FORWARD_BACKOFF_MAX
    return min(cap, base * 2 ** max(failures - 1, 0))


def forwarder_state() -> ForwarderState:
    state, _created = ForwarderState.objects.get_or_create(pk=1)
    return state


def do_forward_events(now: datetime | None = None) -> dict:
    """Send pending events in batches, oldest first; on failure back off and keep them.

    1. skip if not configured, if another run holds the lock, or if backing off;
    2. send up to K2_ANALYTICS_FORWARD_MAX_BATCHES batches; each success marks its events sent;
    3. a failure records the error and the next attempt time (exponential backoff) and stops;
    4. a batch refused permanently (a 4xx), or failing K2_ANALYTICS_FORWARD_MAX_ATTEMPTS times
       in a row, becomes dead letters (kept, counted on the dashboard, re-sendable).
    """
    url = settings.K2_ANALYTICS_FORWARD_URL
    if not url:
        return {"status": "disabled"}
    lock = buffer.client().lock("k2:analytics:forward-lock", timeout=300, blocking=False)
    if not lock.acquire():
        return {"status": "busy"}
    try:
        return _forward(url, now or timezone.now())
    finally:
        try:
            lock.release()
        except Exception:  # expired meanwhile: the next run takes over
            log.warning("analytics forwarder lock expired before release")


def _forward(url: str, now: datetime) -> dict:
    state = forwarder_state()
    if state.next_attempt_at and now < state.next_attempt_at:
        return {"status": "backing-off", "next_attempt_at": state.next_attempt_at.isoformat()}
    size = settings.K2_ANALYTICS_FORWARD_BATCH
    max_batches = settings.K2_ANALYTICS_FORWARD_MAX_BATCHES
    max_attempts = settings.K2_ANALYTICS_FORWARD_MAX_ATTEMPTS
    sent = dead = 0
    for _batch in range(max_batches):
        batch = list(
            UsageEvent.objects.filter(forward_state=ForwardState.PENDING).order_by("id")[:size]
        )
        if not batch:
            break
        ids = [e.pk for e in batch]
        state.last_attempt_at = now
        try:
            _post(url, batch)
        except ForwardError as exc:
            state.consecutive_failures += 1
            state.last_error = str(exc)[:2000]
            if exc.permanent or state.consecutive_failures >= max_attempts:
                dead += UsageEvent.objects.filter(
                    id__in=ids, forward_state=ForwardState.PENDING
                ).update(forward_state=ForwardState.DEAD)
                state.dead_total += len(ids)
                state.consecutive_failures = 0
                state.next_attempt_at = None
                state.save()
                continue
            state.next_attempt_at = now + timedelta(
                seconds=backoff_seconds(state.consecutive_failures)
            )
            state.save()
            return {"status": "failed", "sent": sent, "dead": dead, "error": state.last_error}
        sent += UsageEvent.objects.filter(id__in=ids, forward_state=ForwardState.PENDING).update(
            forward_state=ForwardState.SENT
        )
        state.sent_total += len(ids)
        state.consecutive_failures = 0
        state.next_attempt_at = None
        state.last_success_at = now
        state.save()
    return {"status": "ok", "sent": sent, "dead": dead}


def dead_letter_count() -> int:
    return UsageEvent.objects.filter(forward_state=ForwardState.DEAD).count()


def do_requeue_dead_letters(*, actor: Actor) -> int:
    """Send dead letters again (after the endpoint was fixed); platform admins only."""
    if not can_requeue_dead_letters(actor):
        raise PermissionDenied(_("Only platform admins may re-send dead letters."))
    with transaction.atomic():
        count = UsageEvent.objects.filter(forward_state=ForwardState.DEAD).update(
            forward_state=ForwardState.PENDING
        )
        ForwarderState.objects.filter(pk=1).update(next_attempt_at=None, consecutive_failures=0)
        record(actor, "analytics.dead_letters.requeue", changes={"events": count})
    return count


# --- privacy ---------------------------------------------------------------------------------
def do_purge_expired(now: datetime | None = None) -> dict:
    """Delete raw events past retention (not ones still waiting to be forwarded) and old rollups."""
    now = now or timezone.now()
    raw_cutoff = now - timedelta(days=retention_days())
    rollup_cutoff = timezone.localdate(now) - timedelta(days=rollup_retention_days())
    raw, _ = UsageEvent.objects.filter(
        occurred_at__lt=raw_cutoff, forward_state__in=sorted(PURGEABLE_FORWARD_STATES)
    ).delete()
    usage, _ = DailyUsage.objects.filter(day__lt=rollup_cutoff).delete()
    counts, _ = DailyEventCount.objects.filter(day__lt=rollup_cutoff).delete()
    RollupRun.objects.filter(day__lt=rollup_cutoff).delete()
    return {"raw": raw, "daily_usage": usage, "daily_events": counts}


def do_exclude_user(user, *, actor: Actor, reason: str = "") -> AnalyticsOptOut:
    """Stop recording a person and forget what was recorded (themself or a platform admin)."""
    if not can_change_analytics_consent(actor, user):
        raise PermissionDenied(_("You may only exclude yourself from analytics."))
    with transaction.atomic():
        opt_out, _created = AnalyticsOptOut.objects.get_or_create(
            user=user, defaults={"reason": reason[:200]}
        )
        UsageEvent.objects.filter(user=user).delete()
        DailyUsage.objects.filter(user=user).delete()
        record(actor, "analytics.user.exclude", user, reason=reason)
    forget_cached_exclusions()
    return opt_out


def do_include_user(user, *, actor: Actor) -> None:
    """Record a previously excluded person again (themself or a platform admin)."""
    if not can_change_analytics_consent(actor, user):
        raise PermissionDenied(_("You may only include yourself in analytics."))
    with transaction.atomic():
        AnalyticsOptOut.objects.filter(user=user).delete()
        record(actor, "analytics.user.include", user)
    forget_cached_exclusions()
