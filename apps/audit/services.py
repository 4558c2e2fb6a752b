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

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.actors import Actor, require_actor
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
    Only short transactions take it: the sealer's, and `record` outside any transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _head() -> tuple[str, int]:
    """(hash, seq) of the last sealed event; else the last archive's hash (or genesis), 0."""
    last = (
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("-seq")
        .values_list("hash", "seq")
        .first()
    )
    if last:
        return last[0], int(last[1] or 0)
    archived = AuditArchive.objects.order_by("-last_event_id").values_list(
        "last_event_hash", flat=True
    )
    return archived.first() or GENESIS_HASH, 0


def chain_head() -> str:
    """The hash the next sealed event links to: the last sealed event's, or the last
    archive's, or genesis."""
    return _head()[0]


def _link(event: AuditEvent, head: tuple[str, int]) -> tuple[str, int]:
    event.prev_hash, event.seq = head[0], head[1] + 1
    event.hash = event_hash(event)
    return event.hash, event.seq


def seal_pending() -> int:
    """Link every unsealed event this transaction can see, oldest id first; the caller
    holds the chain lock (`lock_chain`). Returns how many were sealed."""
    head = _head()
    events = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:SEAL_BATCH])
    for event in events:
        head = _link(event, head)
    if connection.vendor == "postgresql" and events:
        _seal_in_one_update(events)
    else:
        for event in events:
            AuditEvent.objects.filter(pk=event.pk)._seal(
                prev_hash=event.prev_hash, hash=event.hash, seq=event.seq
            )
    if len(events) == SEAL_BATCH:  # more than a batch waiting: keep going, same lock
        return len(events) + seal_pending()
    return len(events)


SEAL_BATCH = 500


def _seal_in_one_update(events: list[AuditEvent]) -> None:
    """One UPDATE for a batch (one round trip instead of one per event)."""
    rows = ", ".join(["(%s::bigint, %s::bigint, %s, %s)"] * len(events))
    params = [v for e in events for v in (e.pk, e.seq, e.prev_hash, e.hash)]
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "  # noqa: S608 - placeholders only
            f"FROM (VALUES {rows}) AS v(id, seq, prev_hash, hash) "
            "WHERE e.id = v.id AND e.seq IS NULL",
            params,
        )


def seal_chain() -> int:
    """The sealer: link the committed unsealed events into the chain, in a short transaction
    of its own under the chain lock (waiting for it). Beat runs it every minute for events
    an interrupted process left unsealed; retention and tests call it directly."""
    with transaction.atomic():
        lock_chain()
        return seal_pending()


def _try_lock_chain() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: the write lock serialises
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        row = cursor.fetchone()
        return bool(row and row[0])


SEAL_ROUNDS = 5


def seal_after_commit() -> int:
    """Seal right after a transaction that recorded events committed, without queueing.

    1. Try the chain lock; if another sealer holds it, return: that sealer looks for
       pending events again after it released the lock, and our events, committed before
       we tried, are among them.
    2. Holding it, seal everything committed so far (one short transaction for a batch).
    3. After releasing it, look again; events committed meanwhile by writers whose try
       failed get another round (at most SEAL_ROUNDS; beat seals any rest).
    """
    sealed = 0
    for _round in range(SEAL_ROUNDS):
        with transaction.atomic():
            if not _try_lock_chain():
                return sealed
            sealed += seal_pending()
        if not AuditEvent.objects.filter(seq__isnull=True).exists():
            break
    return sealed


def _seal_on_commit() -> None:
    """Once per transaction: seal right after it commits (a failure is logged; beat retries).

    Not inside a test case's transaction, which never commits: there the sealer would
    only show up among the on-commit work a test counts (`seal_chain` seals on demand).
    """
    conn = transaction.get_connection()
    if any(getattr(block, "_from_testcase", False) for block in conn.atomic_blocks):
        return
    if not any(func is seal_after_commit for _sids, func, _robust in conn.run_on_commit):
        transaction.on_commit(seal_after_commit, robust=True)


def _outermost() -> bool:
    """No transaction of the caller's is open (test-case transactions do not count, as for
    `atomic(durable=True)`)."""
    conn = transaction.get_connection()
    return not any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)


def _describe(obj) -> tuple[str, str, str]:
    """(type, id, name) of a model instance, an explicit tuple, a plain id, or nothing."""
    if obj is None:
        return "", "", ""
    if isinstance(obj, models.Model):
        meta = obj._meta
        label = obj.audit_label() if hasattr(obj, "audit_label") else str(obj)
        return f"{meta.app_label}.{meta.model_name}", str(obj.pk or ""), label[:255]
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


def _related(target, name: str):
    """The space or cluster an event's target belongs to, when the caller named none.

    A model may say it itself (`audit_space()` / `audit_cluster()`, e.g. an approval request
    about a space names it in its payload); otherwise its `space` / `cluster` foreign key,
    or the target itself when it is a space or a cluster.
    """
    if not isinstance(target, models.Model):
        return None
    if target._meta.label_lower == ("spaces.space" if name == "space" else "clusters.cluster"):
        return target
    hook = getattr(target, f"audit_{name}", None)
    if callable(hook):
        return hook()
    try:
        field = target._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.is_relation and field.many_to_one:
        try:
            return getattr(target, name)
        except ObjectDoesNotExist:  # gone with a cascade
            return None
    return None


def _scope_pk(obj) -> int | None:
    """The primary key of a space given as a model or an (id, name, pk) tuple, else None."""
    if isinstance(obj, models.Model):
        return obj.pk
    if isinstance(obj, tuple) and len(obj) > 2 and obj[2] is not None:
        return int(obj[2])
    return None


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record(
    actor: Actor,
    action: str,
    target=None,
    *,
    changes: dict | None = None,
    outcome: str = Outcome.SUCCEEDED,
    reason: str = "",
    space=None,
    cluster=None,
) -> AuditEvent:
    """Append one event to the trail, inside the caller's transaction if there is one.

    Called inside a service's transaction, the event commits or rolls back with the
    change it describes, and is linked into the hash chain (prev_hash, hash, seq) by the
    sealer right after that commit. Outside any transaction it is linked at once. Request
    id, IP and user agent come from the request context (also set in Celery tasks a
    request started).
    """
    who = require_actor(actor)
    target_type, target_id, target_name = _describe(target)
    if space is None:
        space = _related(target, "space")
    if cluster is None:
        cluster = _related(target, "cluster")
    space_id, space_name = _scope(space)
    cluster_id, cluster_name = _scope(cluster)
    client = get_client()
    event = AuditEvent(
        actor_type=str(who.type),
        actor_user_id=who.user_id,
        actor_name=who.name[:150],
        actor_detail=who.detail[:200],
        actor_token_id=who.token_id,
        channel=str(who.channel),
        action=action,
        target_type=target_type,
        target_id=target_id[:64],
        target_name=target_name,
        space_id=space_id[:100],
        space_name=space_name,
        space_pk=_scope_pk(space),
        cluster_id=cluster_id[:100],
        cluster_name=cluster_name,
        outcome=Outcome(outcome).value,
        reason=str(reason),
        changes=redact(_jsonable(changes or {}), target_type),
        request_id=(get_request_id() or "")[:64],
        ip=client.ip or None,
        user_agent=(client.user_agent or "")[:512],
    )
    if _outermost():
        # Nobody's transaction to wait for: a short one of its own, sealed at once (after
        # any committed event still unsealed, so the chain keeps their order).
        with transaction.atomic():
            lock_chain()
            seal_pending()
            event.created_at = timezone.now()
            _link(event, _head())
            event.save(force_insert=True)
        return event
    # Inside the caller's transaction: written unsealed (no lock, so unrelated transactions
    # do not queue behind this one), linked into the chain by the sealer once it commits.
    event.created_at = timezone.now()
    event.save(force_insert=True)
    _seal_on_commit()
    return event


def record_denied(
    actor: Actor, action: str, target=None, *, reason: str = "", **scope
) -> AuditEvent:
    """Record a refused attempt so that it survives: in its own transaction when possible.

    Call it before raising PermissionDenied and outside the service's transaction (a
    denial recorded inside a transaction that then rolls back would be lost).
    """
    return record(actor, action, target, outcome=Outcome.DENIED, reason=reason, **scope)


def authorize(
    actor: Actor,
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
    actor: Actor,
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
