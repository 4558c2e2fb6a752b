"""Domain events: a registry of names and emit(name, *, actor, **props).

Services call emit() inside their transaction, after their write: the event row is
inserted in that same transaction (an outbox), so a rolled-back change emits nothing and
a committed one cannot lose its event. Domain events are rare next to requests, so one
INSERT costs little; requests go through the Redis buffer instead. Names must be
registered first, so a typo fails loudly in tests instead of inventing a new event:

    register_event("terminal.opened", _("Terminal opened"), version="1.0")
    emit("terminal.opened", actor=user, space="shop-test", container="web")
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.analytics.choices import EventKind, Source
from apps.analytics.models import UsageEvent
from apps.analytics.privacy import cached_excluded_user_ids
from apps.analytics.services import initial_forward_state
from apps.core.request_context import get_request_id


@dataclass(frozen=True)
class EventType:
    name: str
    label: str
    version: str


_REGISTRY: dict[str, EventType] = {}


def register_event(name: str, label, *, version: str = "1.0") -> EventType:
    event = EventType(name, label, version)
    _REGISTRY[name] = event
    return event


def registered_events() -> dict[str, EventType]:
    return dict(_REGISTRY)


def label_of(name: str) -> str:
    event = _REGISTRY.get(name)
    return str(event.label) if event else name


def _plain(value):
    """Props are JSON: model instances become their primary key, the rest their string."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return getattr(value, "pk", None) or str(value)


def _user_id(actor) -> int | None:
    """A user, an audit Actor (services pass either), a user id, or None for the system."""
    if isinstance(actor, int) and not isinstance(actor, bool):
        return actor
    if getattr(actor, "is_authenticated", False):
        return actor.pk
    user_id = getattr(actor, "user_id", None)
    return user_id if isinstance(user_id, int) else None


def build(name: str, *, actor, props: dict) -> dict:
    """The queued form of a domain event (the same shape the middleware queues)."""
    space = props.pop("space", "") or ""
    space_slug = getattr(space, "slug", space) or ""
    environment = props.pop("environment", "") or getattr(space, "environment", "") or ""
    user_id = _user_id(actor)
    return {
        "kind": EventKind.DOMAIN,
        "at": timezone.now().isoformat(),
        "user": user_id,
        "feature": name,
        "source": props.pop("source", Source.SYSTEM),
        "space": str(space_slug),
        "environment": str(environment),
        "props": _plain(props),
    }


def emit(name: str, *, actor, **props):
    """Record a domain event in the caller's transaction; returns the row (None if excluded)."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown analytics event {name!r}: register_event() it first")
    event = build(name, actor=actor, props=dict(props))
    if event["user"] is not None and event["user"] in cached_excluded_user_ids():
        return None
    return UsageEvent.objects.create(
        kind=EventKind.DOMAIN,
        occurred_at=timezone.now(),
        user_id=event["user"],
        feature=name,
        source=event["source"],
        space_slug=event["space"][:63],
        environment=event["environment"][:16],
        props=event["props"],
        request_id=(get_request_id() or "")[:64],
        forward_state=initial_forward_state(),
    )


# --- the platform's events (issue 9) -------------------------------------------------------
register_event("space.created", _("Space created"))
register_event("space.renewed", _("Space renewed"))
register_event("space.expired", _("Space expired"))
register_event("space.reminded", _("Space expiry reminder sent"))
register_event("app.deployed", _("App deployed"))
register_event("app.scaled", _("App scaled"))
register_event("app.cloned", _("App cloned"))
register_event("app.canary_promoted", _("Canary promoted"))
register_event("request.submitted", _("Request submitted"))
register_event("request.decided", _("Request decided"))
register_event("cluster.registered", _("Cluster registered"))
