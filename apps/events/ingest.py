"""Write a batch of occurrences: count only what is new (EventSource), merge by fingerprint
within the merge window into one Event row, count per minute (EventBucket), link to the
space and app. A few queries per batch, not per event."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.events import metrics
from apps.events.fingerprint import Occurrence
from apps.events.models import Event, EventBucket, EventSource

_links: dict[int, tuple[float, dict]] = {}


def _space_links(cluster) -> dict:
    """namespace -> (space id, [(app name, app id)] longest first), cached a few seconds."""
    hit = _links.get(cluster.pk)
    if hit and time.monotonic() - hit[0] < 10:
        return hit[1]
    from apps.spaces.models import Space
    from apps.workloads.models import App

    spaces = {s.slug: s.pk for s in Space.objects.exclude(state="deleted").only("pk", "slug")}
    apps: dict[int, list] = defaultdict(list)
    for app in App.objects.filter(space_id__in=spaces.values()).only("pk", "name", "space_id"):
        apps[app.space_id].append((app.name, app.pk))
    table = {ns: (pk, sorted(apps[pk], key=lambda a: -len(a[0]))) for ns, pk in spaces.items()}
    _links[cluster.pk] = (time.monotonic(), table)
    return table


def forget_links() -> None:
    _links.clear()


def link(cluster, namespace: str, name: str) -> tuple[int | None, int | None]:
    entry = _space_links(cluster).get(namespace)
    if not entry:
        return None, None
    space_id, apps = entry
    for app_name, app_id in apps:
        if name == app_name or name.startswith(app_name + "-"):
            return space_id, app_id
    return space_id, None


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def write_batch(
    cluster, occurrences: list[Occurrence], *, now: datetime | None = None
) -> list[Event]:
    """Store a batch; the Event rows that grew (for the alert rules)."""
    if not occurrences:
        return []
    now = now or timezone.now()
    window = timedelta(seconds=settings.K2_EVENTS_MERGE_WINDOW)
    with transaction.atomic():
        keys = {o.source for o in occurrences}
        sources = {s.key: s for s in EventSource.objects.select_for_update()
                   .filter(cluster=cluster, key__in=keys)}  # fmt: skip
        fresh: dict[str, list[tuple[Occurrence, int]]] = defaultdict(list)
        new_sources: dict[str, EventSource] = {}
        changed: dict[str, EventSource] = {}
        for occ in occurrences:
            src = sources.get(occ.source) or new_sources.get(occ.source)
            counted = src.counted if src else 0
            delta = occ.source_count - counted
            if delta <= 0:
                continue
            if src is None:
                new_sources[occ.source] = EventSource(cluster=cluster, key=occ.source[:400],
                                                      counted=occ.source_count, seen_at=now)  # fmt: skip
            else:
                src.counted, src.seen_at = occ.source_count, now
                if src.pk:
                    changed[occ.source] = src
            fresh[occ.fingerprint].append((occ, delta))
        EventSource.objects.bulk_create(new_sources.values(), batch_size=1000)
        EventSource.objects.bulk_update(changed.values(), ["counted", "seen_at"], batch_size=1000)
        if not fresh:
            return []
        oldest = min(o.at for group in fresh.values() for o, _ in group) - window
        existing: dict[str, Event] = {}
        for row in (
            Event.objects.select_for_update()
            .filter(
                cluster=cluster,
                fingerprint__in=fresh.keys(),
                last_seen__gte=min(oldest, now - window),
            )
            .order_by("fingerprint", "-last_seen")
        ):
            existing.setdefault(row.fingerprint, row)
        created, updated = [], []
        minutes: dict[tuple[str, datetime], int] = defaultdict(int)
        for fp, group in fresh.items():
            group.sort(key=lambda pair: pair[0].at)
            latest = group[-1][0]
            total = sum(d for _, d in group)
            for occ, delta in group:
                minutes[(fp, _minute(min(occ.at, now)))] += delta
            row = existing.get(fp)
            if row is not None and latest.at - row.last_seen <= window:
                row.count += total
                row.last_seen = max(row.last_seen, latest.at)
                row.message, row.name = latest.message, latest.name
                updated.append(row)
                metrics.MERGED.labels(cluster.name).inc(total)
            else:
                space_id, app_id = link(cluster, latest.namespace, latest.name)
                first = group[0][0].at
                row = Event(cluster=cluster, space_id=space_id, app_id=app_id, fingerprint=fp,
                            namespace=latest.namespace, kind=latest.kind, name=latest.name,
                            reason=latest.reason, type=latest.type, message=latest.message,
                            component=latest.component, count=total, first_seen=first,
                            last_seen=latest.at)  # fmt: skip
                created.append(row)
                metrics.MERGED.labels(cluster.name).inc(total - 1)
            metrics.INGESTED.labels(cluster.name).inc(total)
        Event.objects.bulk_create(created, batch_size=1000)
        Event.objects.bulk_update(
            updated, ["count", "last_seen", "message", "name"], batch_size=1000
        )
        rows = {r.fingerprint: r for r in [*created, *updated]}
        _count_minutes(rows, minutes)
    return list(rows.values())


def _count_minutes(rows: dict[str, Event], minutes: dict[tuple[str, datetime], int]) -> None:
    wanted = {(rows[fp].pk, m): n for (fp, m), n in minutes.items()}
    have = {(b.event_id, b.minute): b for b in EventBucket.objects.select_for_update().filter(
        event_id__in={pk for pk, _ in wanted}, minute__in={m for _, m in wanted})}  # fmt: skip
    new, grown = [], []
    for (pk, minute), n in wanted.items():
        bucket = have.get((pk, minute))
        if bucket is None:
            new.append(EventBucket(event_id=pk, minute=minute, count=n))
        else:
            bucket.count += n
            grown.append(bucket)
    EventBucket.objects.bulk_create(new, batch_size=1000)
    EventBucket.objects.bulk_update(grown, ["count"], batch_size=1000)
