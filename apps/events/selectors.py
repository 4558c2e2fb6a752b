"""Reads of the event center, already restricted to what the user may see: platform
admins see every cluster's events; others see the events of the spaces they may view
(scoped like the audit trail)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour, TruncMinute
from django.utils import timezone

from apps.accounts.roles import is_platform_admin
from apps.events.models import AlertRule, Event, EventBucket, Sink
from apps.spaces.selectors import spaces_visible_to

FILTERS = ("cluster", "space", "app", "type", "reason", "since", "until", "q")


def events_visible_to(user):
    rows = Event.objects.select_related("cluster", "space", "app")
    if not getattr(user, "is_authenticated", False):
        return rows.none()
    if is_platform_admin(user):
        return rows.all()
    return rows.filter(space__in=spaces_visible_to(user).values("pk"))


def filtered(user, params) -> tuple:
    """(queryset, the filters applied) for the query string `params`."""
    rows = events_visible_to(user)
    applied = {}
    for key in FILTERS:
        value = (params.get(key) or "").strip()
        if not value:
            continue
        applied[key] = value
        if key == "cluster":
            rows = rows.filter(cluster__name=value)
        elif key == "space":
            rows = rows.filter(space__slug=value)
        elif key == "app":
            rows = rows.filter(app__name=value)
        elif key == "type":
            rows = rows.filter(type=value)
        elif key == "reason":
            rows = rows.filter(reason=value)
        elif key == "q":
            rows = rows.filter(Q(name__icontains=value) | Q(message__icontains=value))
        elif key in ("since", "until"):
            when = _parse_time(value)
            if when is None:
                applied.pop(key)
                continue
            rows = (
                rows.filter(last_seen__gte=when)
                if key == "since"
                else rows.filter(first_seen__lte=when)
            )
    return rows, applied


def _parse_time(value: str):
    from django.utils.dateparse import parse_datetime

    hours = {"1h": 1, "6h": 6, "24h": 24, "7d": 168, "30d": 720}.get(value)
    if hours:
        return timezone.now() - timedelta(hours=hours)
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def counts_over_time(rows, *, hours: int = 24) -> dict:
    """Occurrences per hour (per minute for the last hour) of `rows`, Normal and Warning."""
    since = timezone.now() - timedelta(hours=hours)
    trunc = TruncMinute("minute") if hours <= 1 else TruncHour("minute")
    buckets = (EventBucket.objects.filter(event__in=rows.values("pk"), minute__gte=since)
               .annotate(t=trunc).values("t", "event__type").annotate(n=Sum("count"))
               .order_by("t"))  # fmt: skip
    labels: list[str] = []
    series: dict[str, dict[str, int]] = {"Normal": {}, "Warning": {}}
    for b in buckets:
        label = timezone.localtime(b["t"]).strftime("%m-%d %H:%M")
        if label not in labels:
            labels.append(label)
        series.setdefault(b["event__type"], {})[label] = b["n"]
    return {"labels": labels,
            "normal": [series["Normal"].get(x, 0) for x in labels],
            "warning": [series["Warning"].get(x, 0) for x in labels]}  # fmt: skip


def reasons_of(rows) -> list[str]:
    return [
        r["reason"]
        for r in rows.order_by().values("reason").annotate(n=Count("id")).order_by("-n")[:30]
    ]


def rules_visible_to(user):
    rules = AlertRule.objects.select_related("space", "app", "cluster").prefetch_related(
        "sinks", "silences"
    )
    if is_platform_admin(user):
        return rules.all()
    return rules.filter(space__in=spaces_visible_to(user).values("pk"))


def with_active_silence(rules) -> list:
    """The rules (from rules_visible_to), each with `.silence`: the one in force, or None."""
    now = timezone.now()
    rules = list(rules)
    for rule in rules:
        rule.silence = active_silence(rule, now)
    return rules


def active_silence(rule: AlertRule, now=None):
    """The silence of `rule` in force at `now` that ends last (silences prefetched), or None."""
    now = now or timezone.now()
    live = [s for s in rule.silences.all() if s.ends_at > now]
    return max(live, key=lambda s: s.ends_at, default=None)


def sinks_visible_to(user):
    if is_platform_admin(user):
        return Sink.objects.all()
    return Sink.objects.filter(space__in=spaces_visible_to(user).values("pk"))
