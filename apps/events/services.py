"""Changes of the event center: alert rules, silences and sinks (each audited), and the
retention prune. Validation raises ValidationError naming the field."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.audit.services import audited
from apps.core import crypto
from apps.events import alerts
from apps.events.choices import EventType, SinkKind
from apps.events.models import (
    AlertRule,
    Event,
    EventBucket,
    EventSource,
    MemorySample,
    Silence,
    Sink,
)
from apps.events.permissions import can_manage_alerts
from apps.events.sinks import backend

RULE_FIELDS = {"name", "type", "reason", "kind", "environment", "threshold", "window_seconds",
               "renotify_seconds", "cluster", "app", "sinks", "enabled"}  # fmt: skip


def _unknown(data: dict, allowed: set) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise ValidationError({extra[0]: [_("Unknown field.")]})


def do_create_sink(*, space=None, name: str, kind: str, target: str, secret: str = "",
                   actor: Actor) -> Sink:  # fmt: skip
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if kind not in SinkKind.values:
        raise ValidationError(
            {"kind": [_("Choose one of %(k)s.") % {"k": ", ".join(SinkKind.values)}]}
        )
    with audited(actor, "events.sink.create", space=space,
                 allowed=lambda: can_manage_alerts(actor, space)) as event:  # fmt: skip
        target = backend(kind).validate(target or "")
        sink = Sink.objects.create(space=space, name=name[:80], kind=kind,
                                   target_encrypted=crypto.encrypt(target),
                                   secret_encrypted=crypto.encrypt(secret) if secret else "",
                                   created_by=actor.person)  # fmt: skip
        event.target = sink
        event.changes = {"name": sink.name, "kind": kind}
    return sink


def do_delete_sink(sink: Sink, *, actor: Actor) -> None:
    with audited(actor, "events.sink.delete", sink, space=sink.space,
                 allowed=lambda: can_manage_alerts(actor, sink.space)):  # fmt: skip
        sink.delete()
    alerts.forget_rules()


def _positive(data: dict, field: str, default: int, low: int = 1, high: int = 30 * 86400) -> int:
    value = data.get(field, default)
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Enter a whole number.")]}) from None
    if not low <= value <= high:
        raise ValidationError(
            {field: [_("Enter a number from %(a)d to %(b)d.") % {"a": low, "b": high}]}
        )
    return value


def do_create_rule(*, space=None, data: dict, actor: Actor) -> AlertRule:
    """A rule of `space` (its owners and admins), or a global one (platform admins)."""
    _unknown(data, RULE_FIELDS)
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    type_ = data.get("type") or ""
    if type_ and type_ not in EventType.values:
        raise ValidationError({"type": [_("Choose Normal or Warning.")]})
    with audited(actor, "events.rule.create", space=space,
                 allowed=lambda: can_manage_alerts(actor, space)) as event:  # fmt: skip
        app = data.get("app") or None
        if app is not None and (space is None or app.space_id != space.pk):
            raise ValidationError({"app": [_("The app must belong to the rule's space.")]})
        sinks = list(data.get("sinks") or [])
        for sink in sinks:
            if sink.space_id not in (None, getattr(space, "pk", None)):
                raise ValidationError({"sinks": [_("A sink of another space cannot be used.")]})
        rule = AlertRule.objects.create(
            space=space, app=app, cluster=data.get("cluster") or None, name=name[:80], type=type_,
            reason=str(data.get("reason") or "")[:128], kind=str(data.get("kind") or "")[:64],
            environment=str(data.get("environment") or "")[:16],
            threshold=_positive(data, "threshold", 1, 1, 100000),
            window_seconds=_positive(data, "window_seconds", 600, 1),
            renotify_seconds=_positive(data, "renotify_seconds", 3600, 10),
            enabled=bool(data.get("enabled", True)), created_by=actor.person,
        )  # fmt: skip
        rule.sinks.set(sinks)
        event.target = rule
        event.changes = {"name": rule.name, "reason": rule.reason, "threshold": rule.threshold,
                         "window_seconds": rule.window_seconds, "sinks": [s.name for s in sinks]}  # fmt: skip
    alerts.forget_rules()
    return rule


def do_delete_rule(rule: AlertRule, *, actor: Actor) -> None:
    with audited(actor, "events.rule.delete", rule, space=rule.space,
                 allowed=lambda: can_manage_alerts(actor, rule.space)):  # fmt: skip
        rule.delete()
    alerts.forget_rules()


SILENCE_MAX_DAYS = 90


def do_silence_rule(rule: AlertRule, *, ends_at, comment: str = "", actor: Actor) -> Silence:
    if ends_at is None or ends_at <= timezone.now():
        raise ValidationError({"ends_at": [_("Enter an end time in the future.")]})
    if ends_at > timezone.now() + timedelta(days=SILENCE_MAX_DAYS):
        raise ValidationError({"ends_at": [
            _("A silence lasts at most %(days)s days; disable the rule instead.") % {"days": SILENCE_MAX_DAYS}
        ]})  # fmt: skip
    with audited(actor, "events.rule.silence", rule, space=rule.space,
                 allowed=lambda: can_manage_alerts(actor, rule.space)) as event:  # fmt: skip
        silence = Silence.objects.create(rule=rule, ends_at=ends_at, comment=comment[:200],
                                         created_by=actor.person)  # fmt: skip
        event.changes = {"ends_at": ends_at.isoformat(), "comment": silence.comment}
    alerts.forget_rules()
    return silence


def do_end_silence(silence: Silence, *, actor: Actor) -> Silence:
    """End a silence now (kept for the record): the rule notifies again from the next batch."""
    rule = silence.rule
    with audited(actor, "events.rule.unsilence", rule, space=rule.space,
                 allowed=lambda: can_manage_alerts(actor, rule.space)) as event:  # fmt: skip
        now = timezone.now()
        if silence.ends_at > now:
            Silence.objects.filter(pk=silence.pk).update(ends_at=now)
            silence.ends_at = now
        event.changes = {"silence": silence.pk, "ends_at": now.isoformat()}
    alerts.forget_rules()
    return silence


def do_prune_events(*, now=None) -> dict:
    """Events past retention, their buckets, and the watcher's memory of old sources."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.K2_EVENTS_RETENTION_DAYS)
    events, _ = Event.objects.filter(last_seen__lt=cutoff).delete()
    EventBucket.objects.filter(minute__lt=cutoff).delete()
    # Kubernetes keeps events an hour: their sources go after two days; a pod's restart
    # count is remembered as long as its events are kept.
    sources, _ = EventSource.objects.filter(key__startswith="event:",
                                            seen_at__lt=now - timedelta(days=2)).delete()  # fmt: skip
    EventSource.objects.filter(seen_at__lt=cutoff).delete()
    MemorySample.objects.filter(
        at__lt=now - timedelta(days=settings.K2_EVENTS_MEMORY_DAYS)
    ).delete()
    return {"events": events, "sources": sources}
