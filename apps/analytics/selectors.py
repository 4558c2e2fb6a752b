"""Every read behind the analyst dashboard: plain rows from the rollups and live tables.

Each report returns {"columns": [(key, label)], "rows": [...]} plus chart series where it
has one; the page, the JSON API and the CSV export all draw from the same function. The
callers (views, API) check can_view_analytics first: the figures are company-wide.
"""

import math
from collections import Counter, defaultdict
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from apps.analytics import buffer
from apps.analytics.choices import ForwardState
from apps.analytics.events import label_of
from apps.analytics.forms import Filters
from apps.analytics.models import DailyEventCount, DailyUsage, ForwarderState, UsageEvent
from apps.analytics.services import day_bounds, forwarding_enabled
from apps.approvals.choices import RequestState
from apps.approvals.models import ApprovalRequest, WorkflowDefinition
from apps.clusters.models import Cluster

TOP_FEATURES = 10
TREND_FEATURES = 5
CORE_USERS = 20
SPACES = 50
LIFECYCLE_EVENTS = ("space.created", "space.renewed", "space.expired")


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _usage(f: Filters, start: date | None = None) -> QuerySet:
    rows = DailyUsage.objects.filter(day__gte=start or f.start, day__lte=f.end)
    return rows.filter(environment=f.environment) if f.environment else rows


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def active_users(f: Filters) -> dict:
    """DAU, WAU (7 days ending that day) and MAU (30 days) for each day of the range."""
    pairs = (
        _usage(f, start=f.start - timedelta(days=29))
        .filter(user__isnull=False)
        .values_list("day", "user_id")
        .distinct()
    )
    by_day: dict[date, set[int]] = defaultdict(set)
    for day, user_id in pairs:
        by_day[day].add(user_id)

    def window(day: date, size: int) -> int:
        users: set[int] = set()
        for back in range(size):
            users |= by_day.get(day - timedelta(days=back), set())
        return len(users)

    rows = [
        {
            "day": day.isoformat(),
            "dau": len(by_day.get(day, ())),
            "wau": window(day, 7),
            "mau": window(day, 30),
        }
        for day in f.days
    ]
    last = rows[-1] if rows else {"dau": 0, "wau": 0, "mau": 0}
    return {
        "columns": [("day", _("Day")), ("dau", _("DAU")), ("wau", _("WAU")), ("mau", _("MAU"))],
        "rows": rows,
        "current": {"dau": last["dau"], "wau": last["wau"], "mau": last["mau"]},
    }


def top_features(f: Filters, limit: int = TOP_FEATURES) -> dict:
    """Features by requests, with people, errors and mean latency; daily trend of the top ones."""
    totals = list(
        _usage(f)
        .values("feature")
        .annotate(
            requests=Sum("requests"),
            users=Count("user", distinct=True),
            errors=Sum("errors"),
            latency=Sum("latency_ms_total"),
        )
        .order_by("-requests", "feature")[:limit]
    )
    rows = [
        {
            "feature": t["feature"],
            "requests": t["requests"],
            "users": t["users"],
            "errors": t["errors"],
            "mean_latency_ms": round((t["latency"] or 0) / t["requests"], 1)
            if t["requests"]
            else 0,
        }
        for t in totals
    ]
    trend_names = [r["feature"] for r in rows[:TREND_FEATURES]]
    per_day: defaultdict[str, dict] = defaultdict(dict)
    for t in (
        _usage(f)
        .filter(feature__in=trend_names)
        .values("day", "feature")
        .annotate(requests=Sum("requests"))
        .order_by()
    ):
        per_day[t["feature"]][t["day"]] = t["requests"]
    trend = {
        "labels": [d.isoformat() for d in f.days],
        "series": [
            {"feature": name, "data": [per_day[name].get(d, 0) for d in f.days]}
            for name in trend_names
        ],
    }
    return {
        "columns": [
            ("feature", _("Feature")),
            ("requests", _("Requests")),
            ("users", _("People")),
            ("errors", _("Errors")),
            ("mean_latency_ms", _("Mean latency (ms)")),
        ],
        "rows": rows,
        "trend": trend,
    }


def core_users(f: Filters, limit: int = CORE_USERS) -> dict:
    """People ranked by requests, with active days and their three most used features."""
    ranked = list(
        _usage(f)
        .filter(user__isnull=False)
        .values("user_id")
        .annotate(requests=Sum("requests"), days=Count("day", distinct=True), last=Max("day"))
        .order_by("-requests", "user_id")[:limit]
    )
    ids = [r["user_id"] for r in ranked]
    names = dict(get_user_model().objects.filter(id__in=ids).values_list("id", "username"))
    features: dict[int, Counter] = defaultdict(Counter)
    for r in (
        _usage(f)
        .filter(user_id__in=ids)
        .values("user_id", "feature")
        .annotate(n=Sum("requests"))
        .order_by()
    ):
        features[r["user_id"]][r["feature"]] += r["n"]
    rows = [
        {
            "rank": index,
            "user": names.get(r["user_id"], str(r["user_id"])),
            "requests": r["requests"],
            "active_days": r["days"],
            "last_active": r["last"].isoformat(),
            "top_features": ", ".join(
                f"{name} ({n})"
                for name, n in sorted(features[r["user_id"]].items(), key=lambda i: (-i[1], i[0]))[
                    :3
                ]
            ),
        }
        for index, r in enumerate(ranked, start=1)
    ]
    return {
        "columns": [
            ("rank", _("Rank")),
            ("user", _("Person")),
            ("requests", _("Requests")),
            ("active_days", _("Active days")),
            ("last_active", _("Last active")),
            ("top_features", _("Most used features")),
        ],
        "rows": rows,
    }


def space_activity(f: Filters, limit: int = SPACES) -> dict:
    """Spaces by requests made in them (URLs naming the space), with people and last day."""
    rows = [
        {
            "space": r["space_slug"],
            "environment": r["environment"],
            "requests": r["requests"],
            "users": r["users"],
            "errors": r["errors"],
            "last_active": r["last"].isoformat(),
        }
        for r in _usage(f)
        .exclude(space_slug="")
        .values("space_slug", "environment")
        .annotate(
            requests=Sum("requests"),
            users=Count("user", distinct=True),
            errors=Sum("errors"),
            last=Max("day"),
        )
        .order_by("-requests", "space_slug")[:limit]
    ]
    return {
        "columns": [
            ("space", _("Space")),
            ("environment", _("Environment")),
            ("requests", _("Requests")),
            ("users", _("People")),
            ("errors", _("Errors")),
            ("last_active", _("Last active")),
        ],
        "rows": rows,
    }


def approval_lead_times(f: Filters) -> dict:
    """Submit → final decision (approved or rejected) per workflow, decided within the range.

    The environment filter does not apply: a request is not tied to one environment.
    """
    start, end = _range_bounds(f)
    hours: dict[str, list[float]] = defaultdict(list)
    decided = ApprovalRequest.objects.filter(
        state__in=[RequestState.APPROVED, RequestState.REJECTED],
        decided_at__gte=start,
        decided_at__lt=end,
    ).values_list("kind", "created_at", "decided_at")
    for kind, created, done in decided:
        hours[kind].append(max((done - created).total_seconds(), 0) / 3600)  # type: ignore[operator]
    names = dict(WorkflowDefinition.objects.values_list("kind", "name"))

    def _h(value):
        return None if value is None else round(value, 2)

    rows = [
        {
            "workflow": kind,
            "name": names.get(kind, kind),
            "decided": len(values),
            "median_hours": _h(percentile(values, 0.5)),
            "p90_hours": _h(percentile(values, 0.9)),
        }
        for kind, values in sorted(hours.items())
    ]
    return {
        "columns": [
            ("workflow", _("Workflow")),
            ("name", _("Name")),
            ("decided", _("Decided")),
            ("median_hours", _("Median (hours)")),
            ("p90_hours", _("p90 (hours)")),
        ],
        "rows": rows,
    }


def _range_bounds(f: Filters):
    return day_bounds(f.start)[0], day_bounds(f.end)[1]


def space_lifecycle(f: Filters) -> dict:
    """Test spaces created, renewed and expired per week (Monday-based) in the range.

    Test means every environment but production; an environment filter narrows it to one.
    """
    counts = DailyEventCount.objects.filter(
        day__gte=f.start, day__lte=f.end, name__in=LIFECYCLE_EVENTS
    )
    counts = (
        counts.filter(environment=f.environment)
        if f.environment
        else counts.exclude(environment="prod")
    )
    weeks: dict[date, Counter] = {}
    week = _week(f.start)
    while week <= f.end:
        weeks[week] = Counter()
        week += timedelta(days=7)
    for row in counts.values("day", "name").annotate(n=Sum("count")).order_by():
        weeks[_week(row["day"])][row["name"]] += row["n"]
    rows = [
        {
            "week": week.isoformat(),
            "created": c["space.created"],
            "renewed": c["space.renewed"],
            "expired": c["space.expired"],
        }
        for week, c in weeks.items()
    ]
    return {
        "columns": [
            ("week", _("Week of")),
            ("created", _("Created")),
            ("renewed", _("Renewed")),
            ("expired", _("Expired")),
        ],
        "rows": rows,
    }


def apps_per_cluster(f: Filters) -> dict:
    """Apps placed on each cluster today (a live snapshot: the date range does not apply)."""
    clusters = Cluster.objects.all()
    if f.environment:
        clusters = clusters.filter(environment=f.environment)
    rows = [
        {"cluster": c["name"], "environment": c["environment"], "apps": c["apps"]}
        for c in clusters.values("name", "environment")
        .annotate(apps=Count("app_placements__app", distinct=True))
        .order_by("environment", "name")
    ]
    by_environment: Counter = Counter()
    for r in rows:
        by_environment[r["environment"]] += r["apps"]
    return {
        "columns": [
            ("cluster", _("Cluster")),
            ("environment", _("Environment")),
            ("apps", _("Apps")),
        ],
        "rows": rows,
        "by_environment": dict(sorted(by_environment.items())),
    }


def domain_events(f: Filters) -> dict:
    """How often each domain event happened in the range."""
    counts = DailyEventCount.objects.filter(day__gte=f.start, day__lte=f.end)
    if f.environment:
        counts = counts.filter(environment=f.environment)
    rows = [
        {"event": r["name"], "label": label_of(r["name"]), "count": r["n"]}
        for r in counts.values("name").annotate(n=Sum("count")).order_by("-n", "name")
    ]
    return {
        "columns": [("event", _("Event")), ("label", _("Meaning")), ("count", _("Count"))],
        "rows": rows,
    }


def forwarder_status() -> dict:
    """The forwarder's queue, dead letters and last outcome, for the dashboard."""
    state = ForwarderState.objects.filter(pk=1).first()
    states = dict(
        UsageEvent.objects.filter(forward_state__in=[ForwardState.PENDING, ForwardState.DEAD])
        .values_list("forward_state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "enabled": forwarding_enabled(),
        "pending": states.get(ForwardState.PENDING, 0),
        "dead_letters": states.get(ForwardState.DEAD, 0),
        "queued": buffer.depth(),
        "last_error": state.last_error if state else "",
        "last_success_at": state.last_success_at.isoformat()
        if state and state.last_success_at
        else None,
        "next_attempt_at": state.next_attempt_at.isoformat()
        if state and state.next_attempt_at
        else None,
    }


REPORTS = {
    "summary": active_users,
    "features": top_features,
    "users": core_users,
    "spaces": space_activity,
    "approvals": approval_lead_times,
    "lifecycle": space_lifecycle,
    "apps": apps_per_cluster,
    "events": domain_events,
}
