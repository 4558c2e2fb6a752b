"""Alert evaluation: after each batch, the rules matching the grown rows are checked
against the count within their window; a firing rule notifies once per fingerprint per
re-notify interval, and a resolved notice follows when the fingerprint has been quiet for
the rule's window. Deliveries are queued on `notify` after commit: ingestion never waits
for a sink."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.tasks import enqueue_on_commit
from apps.events import metrics
from apps.events.choices import NoticeKind
from apps.events.models import AlertRule, AlertState, Delivery, Event, EventBucket, Notification
from apps.events.rules import matches

DELIVER_TASK = "workers.events.deliver"
_rules: tuple[float, list] = (0.0, [])


def active_rules() -> list[AlertRule]:
    global _rules
    if time.monotonic() - _rules[0] > 2:
        rules = list(AlertRule.objects.filter(enabled=True).prefetch_related("sinks", "silences"))
        _rules = (time.monotonic(), rules)
    return _rules[1]


def forget_rules() -> None:
    global _rules
    _rules = (0.0, [])


def silenced(rule: AlertRule, now) -> bool:
    return any(s.ends_at > now for s in rule.silences.all())


def count_within(event: Event, seconds: int, now) -> int:
    since = (now - timedelta(seconds=seconds)).replace(second=0, microsecond=0)
    total = EventBucket.objects.filter(event__fingerprint=event.fingerprint,
                                       event__cluster_id=event.cluster_id,
                                       minute__gte=since).aggregate(n=Sum("count"))["n"]  # fmt: skip
    return int(total or 0)


def evaluate(cluster, rows: list[Event], *, now=None) -> int:
    """Notifications created for `rows` (the rows a batch grew)."""
    rules = active_rules()
    if not rules or not rows:
        return 0
    now = now or timezone.now()
    env = getattr(cluster, "environment", "")
    created = 0
    for row in rows:
        for rule in rules:
            if not matches(rule, row, environment=env) or silenced(rule, now):
                continue
            if count_within(row, rule.window_seconds, now) < rule.threshold:
                continue
            created += _fire(rule, row, now)
    return created


def _fire(rule: AlertRule, row: Event, now) -> int:
    with transaction.atomic():
        state, new = AlertState.objects.select_for_update().get_or_create(
            rule=rule, fingerprint=row.fingerprint,
            defaults={"event": row, "started_at": now, "firing": True},
        )  # fmt: skip
        due = (new or not state.firing or state.notified_at is None
               or state.notified_at <= now - timedelta(seconds=rule.renotify_seconds))  # fmt: skip
        if not due:
            return 0
        if not state.firing:
            state.started_at, state.resolved_at = now, None
        state.firing, state.notified_at, state.event = True, now, row
        state.save()
        _notify(state, rule, row, NoticeKind.FIRING)
    return 1


def _notify(state: AlertState, rule: AlertRule, row: Event, kind: str) -> Notification:
    where = f"{row.cluster.name}/{row.namespace}/{row.kind}/{row.name}"
    if kind == NoticeKind.FIRING:
        title = f"[K2Cloud] {rule.name}: {row.reason} on {where} (x{row.count})"
    else:
        title = f"[K2Cloud] resolved: {rule.name}: {row.reason} on {where}"
    payload = {
        "status": str(kind), "rule": rule.name, "rule_id": rule.pk, "fingerprint": row.fingerprint,
        "cluster": row.cluster.name, "namespace": row.namespace, "kind": row.kind,
        "name": row.name, "reason": row.reason, "type": row.type, "message": row.message,
        "count": row.count, "first_seen": row.first_seen.isoformat(),
        "last_seen": row.last_seen.isoformat(),
        "space": row.space.slug if row.space_id else None,
        "app": row.app.name if row.app_id else None,
    }  # fmt: skip
    note = Notification.objects.create(state=state, kind=kind, title=title[:300],
                                       body=row.message, payload=payload)  # fmt: skip
    metrics.ALERTS.labels(str(kind)).inc()
    for sink in rule.sinks.all():
        if sink.enabled:
            delivery = Delivery.objects.create(notification=note, sink=sink)
            enqueue_on_commit(DELIVER_TASK, delivery.pk, queue="notify")
    return note


def resolve_quiet(*, now=None) -> int:
    """Send the resolved notice of every firing state whose fingerprint has had no new
    occurrence for its rule's window."""
    now = now or timezone.now()
    done = 0
    for state in AlertState.objects.filter(firing=True).select_related("rule", "event"):
        event = state.event
        if event is None:
            continue
        if event.last_seen > now - timedelta(seconds=state.rule.window_seconds):
            continue
        with transaction.atomic():
            locked = AlertState.objects.select_for_update().filter(pk=state.pk, firing=True).first()
            if locked is None:
                continue
            locked.firing, locked.resolved_at = False, now
            locked.save(update_fields=["firing", "resolved_at"])
            _notify(locked, state.rule, event, NoticeKind.RESOLVED)
            done += 1
    return done
