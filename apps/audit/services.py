"""Recording into the audit trail: the one way every service writes an audit event.

    authorize(actor, "token.revoke", token, allowed=..., message=...)  # records a denial
    with transaction.atomic():
        ...change...
        record(actor, "token.revoke", token, changes=diff(before, after))

or, for the common path, `with audited(actor, action, target, allowed=...) as event:`.
See docs/audit.md.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import as_actor
from apps.audit.choices import Outcome
from apps.audit.hashing import GENESIS_HASH, event_hash
from apps.audit.models import AuditArchive, AuditEvent
from apps.audit.redaction import redact
from apps.core.request_context import get_client, get_request_id

# pg_advisory_xact_lock key that serialises chain writers ("K2AU").
CHAIN_LOCK_KEY = 0x4B324155


def lock_chain() -> None:
    """Serialise chain writers until the current transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: the database write lock
    (settings open transactions with BEGIN IMMEDIATE) already serialises writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def chain_head() -> str:
    """The hash the next event links to: the last event's, or the last archive's, or genesis."""
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    if last:
        return last
    archived = AuditArchive.objects.order_by("-last_event_id").values_list(
        "last_event_hash", flat=True
    )
    return archived.first() or GENESIS_HASH


def _describe(obj) -> tuple[str, str, str]:
    """(type, id, name) of a model instance, an explicit tuple, a plain id, or nothing."""
    if obj is None:
        return "", "", ""
    if isinstance(obj, models.Model):
        meta = obj._meta
        return f"{meta.app_label}.{meta.model_name}", str(obj.pk or ""), str(obj)[:255]
    if isinstance(obj, tuple):
        kind, ident, name = (
            str(part if part is not None else "") for part in (*obj, "", "", "")[:3]
        )
        return kind, ident, name
    return "", str(obj), str(obj)


def _scope(obj) -> tuple[str, str]:
    """(id, name) of a space or cluster: a model (slug or pk), an (id, name) tuple or an id."""
    if obj is None:
        return "", ""
    if isinstance(obj, models.Model):
        return str(getattr(obj, "slug", None) or obj.pk), str(obj)[:255]
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1] if len(obj) > 1 else obj[0])[:255]
    return str(obj), str(obj)


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record(
    actor,
    action: str,
    target=None,
    *,
    changes: dict | None = None,
    outcome: str = Outcome.SUCCEEDED,
    reason: str = "",
    space=None,
    cluster=None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction if there is one.

    Called inside a service's transaction, the event commits or rolls back with the
    change it describes. Request id, IP and user agent come from the request context
    (also set in Celery tasks a request started).
    """
    who = as_actor(actor)
    target_type, target_id, target_name = _describe(target)
    space_id, space_name = _scope(space)
    cluster_id, cluster_name = _scope(cluster)
    client = get_client()
    event = AuditEvent(
        actor_type=str(who.type),
        actor_user_id=who.user_id,
        actor_name=who.name[:150],
        actor_detail=who.detail[:200],
        action=action,
        target_type=target_type,
        target_id=target_id[:64],
        target_name=target_name,
        space_id=space_id[:100],
        space_name=space_name,
        cluster_id=cluster_id[:100],
        cluster_name=cluster_name,
        outcome=Outcome(outcome).value,
        reason=str(reason),
        changes=redact(_jsonable(changes or {}), target_type),
        request_id=(get_request_id() or "")[:64],
        ip=client.ip or None,
        user_agent=(client.user_agent or "")[:512],
    )
    with transaction.atomic():
        lock_chain()
        event.created_at = timezone.now()
        event.prev_hash = chain_head()
        event.hash = event_hash(event)
        event.save(force_insert=True)
    return event


def record_denied(actor, action: str, target=None, *, reason: str = "", **scope) -> AuditEvent:
    """Record a refused attempt so that it survives: in its own transaction when possible.

    Call it before raising PermissionDenied and outside the service's transaction (a
    denial recorded inside a transaction that then rolls back would be lost).
    """
    return record(actor, action, target, outcome=Outcome.DENIED, reason=reason, **scope)


def authorize(
    actor,
    action: str,
    target=None,
    *,
    allowed: bool | Callable[[], bool],
    message: str | None = None,
    space=None,
    cluster=None,
) -> None:
    """Raise PermissionDenied (after recording the denial) unless `allowed` holds."""
    ok = allowed() if callable(allowed) else allowed
    if ok:
        return
    message = str(message or _("You do not have permission to do this."))
    record_denied(actor, action, target, reason=message, space=space, cluster=cluster)
    raise PermissionDenied(message)


@dataclass
class Pending:
    """What `audited` records on success; the service fills in what it learns."""

    target: object = None
    changes: dict = field(default_factory=dict)
    reason: str = ""
    space: object = None
    cluster: object = None
    event: AuditEvent | None = None


@contextmanager
def audited(
    actor,
    action: str,
    target=None,
    *,
    allowed: bool | Callable[[], bool] = True,
    message: str | None = None,
    space=None,
    cluster=None,
) -> Iterator[Pending]:
    """The common service path in one statement: permission check (a denial is recorded
    and PermissionDenied raised), then the body in one transaction that ends by
    recording success. A body that raises rolls back and leaves a `failed` event.
    """
    authorize(actor, action, target, allowed=allowed, message=message, space=space, cluster=cluster)
    pending = Pending(target=target, space=space, cluster=cluster)
    try:
        with transaction.atomic():
            yield pending
            pending.event = record(
                actor,
                action,
                pending.target,
                changes=pending.changes,
                reason=pending.reason,
                space=pending.space,
                cluster=pending.cluster,
            )
    except PermissionDenied as exc:
        record_denied(
            actor,
            action,
            pending.target,
            reason=str(exc),
            space=pending.space,
            cluster=pending.cluster,
        )
        raise
    except Exception as exc:
        if not transaction.get_connection().in_atomic_block:
            record(
                actor,
                action,
                pending.target,
                outcome=Outcome.FAILED,
                reason=f"{exc.__class__.__name__}: {exc}"[:2000],
                space=pending.space,
                cluster=pending.cluster,
            )
        raise


def diff(before: dict, after: dict) -> dict:
    """{"field": {"before": old, "after": new}} for the fields whose value changed."""
    keys = sorted(set(before) | set(after))
    return {
        k: {"before": before.get(k), "after": after.get(k)}
        for k in keys
        if before.get(k) != after.get(k)
    }


def snapshot(obj: models.Model, fields: list[str]) -> dict:
    """The named field values of a model instance (foreign keys by id), for `diff`."""
    return {name: getattr(obj, obj._meta.get_field(name).attname) for name in fields}
