"""Events name their space by primary key too (`space_pk`), since slugs are reused.

`space_pk` is not part of the hashed content (apps/audit/hashing.py), so filling it
leaves every existing hash valid. Existing events are backfilled where the space can be
resolved: the event's target is the space itself, or the space of that slug that was
live when the event was written (created before it and not yet deleted). Events whose
space cannot be resolved keep NULL: only platform admins see them, as for any event
without a space. The append-only trigger is switched off for the backfill only, inside
this migration's transaction.
"""

from django.db import migrations, models

BATCH = 1000


def _spaces_by_slug(apps) -> dict[str, list[tuple]]:
    """slug -> [(pk, created_at, ended_at or None)], oldest first. The audit app declares no
    dependency on the spaces app; where its models are not in the migration state (a new
    database, which has no events either) there is nothing to resolve."""
    try:
        Space = apps.get_model("spaces", "Space")
    except LookupError:
        return {}
    out: dict[str, list[tuple]] = {}
    rows = Space.objects.order_by("created_at", "id").values_list(
        "pk", "slug", "created_at", "state", "state_changed_at"
    )
    for pk, slug, created_at, state, changed_at in rows:
        ended = changed_at if state in ("deleted", "rejected") else None
        out.setdefault(slug, []).append((pk, created_at, ended))
    return out


def _resolve(spaces, slug, created_at, target_type, target_id):
    if target_type == "spaces.space" and str(target_id).isdigit():
        return int(target_id)
    candidates = spaces.get(slug) or []
    if len(candidates) == 1:
        return candidates[0][0]
    live = [
        pk
        for pk, born, ended in candidates
        if born is not None and born <= created_at and (ended is None or ended >= created_at)
    ]
    return live[-1] if live else None


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    AuditEvent = apps.get_model("audit", "AuditEvent")
    pending = AuditEvent.objects.filter(space_pk__isnull=True).exclude(space_id="")
    if not pending.exists():
        return
    spaces = _spaces_by_slug(apps)
    if not spaces:
        return
    resolved: dict[int, list[int]] = {}
    rows = pending.values_list("id", "space_id", "created_at", "target_type", "target_id")
    for pk, slug, created_at, target_type, target_id in rows.iterator(chunk_size=BATCH):
        space_pk = _resolve(spaces, slug, created_at, target_type, target_id)
        if space_pk is not None:
            resolved.setdefault(space_pk, []).append(pk)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        # The historical model has a plain manager (the append-only queryset is not used in
        # migrations), so this UPDATE is allowed by the ORM; the trigger is off meanwhile.
        for space_pk, ids in resolved.items():
            for start in range(0, len(ids), BATCH):
                AuditEvent.objects.filter(id__in=ids[start : start + BATCH]).update(
                    space_pk=space_pk
                )
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_actor_channel_token_hash_version")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="space_pk",
            field=models.BigIntegerField(
                blank=True, db_index=True, null=True, verbose_name="space key"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
