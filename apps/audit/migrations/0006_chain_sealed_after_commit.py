"""The chain is sealed right after commit instead of under a lock held to the caller's commit.

- `seq`: an event's position in the chain (the order of sealing); existing events, all
  sealed in id order, get seq = id (the trigger is off for that backfill only).
- `prev_hash` / `hash` may be empty (unsealed); unique among sealed events.
- The append-only trigger also lets through the one UPDATE the sealer makes: an unsealed
  event gets seq, prev_hash and hash, and nothing else of it changes.
- A beat entry seals, every minute, events whose on-commit sealing did not run (a crash
  between commit and seal).
"""

from django.db import migrations, models

TRIGGER = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('k2.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    -- Sealing: an unsealed event gets its chain fields once; nothing else may change.
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash = '' AND OLD.prev_hash = ''
       AND NEW.seq IS NOT NULL AND NEW.hash <> '' AND NEW.prev_hash <> ''
       AND (to_jsonb(NEW) - 'seq' - 'hash' - 'prev_hash')
           = (to_jsonb(OLD) - 'seq' - 'hash' - 'prev_hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER_BEFORE = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('k2.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TASK_NAME = "audit: seal events whose on-commit sealing did not run"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # the SQL holds literal % signs

    return run


def number_existing(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    if not AuditEvent.objects.exists():
        return
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        AuditEvent.objects.update(seq=models.F("id"))
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def create_schedule(apps, schema_editor):
    Interval = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = Interval.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "workers.audit.seal_chain",
            "interval": every_minute,
            "expire_seconds": 55,
            "description": "Link committed audit events that are not in the hash chain yet.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_auditevent_space_pk"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                blank=True, null=True, unique=True, verbose_name="chain position"
            ),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="hash"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="previous hash"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("prev_hash", ""), _negated=True),
                fields=("prev_hash",),
                name="audit_chain_prev_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("hash", ""), _negated=True),
                fields=("hash",),
                name="audit_chain_hash_unique",
            ),
        ),
        migrations.RunPython(_on_postgresql(TRIGGER), _on_postgresql(TRIGGER_BEFORE)),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
