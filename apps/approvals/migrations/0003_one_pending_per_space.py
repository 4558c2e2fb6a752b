"""One pending request of a kind per space (payload.space_id): a double click opened two.

Duplicates opened before this constraint are closed first: the oldest pending request of
each (kind, space) stays, the later ones become cancelled with a note in handler_error.
"""

import django.db.models.fields.json
from django.db import migrations, models
from django.utils import timezone

NOTE = "Cancelled by migration approvals.0003: a duplicate of pending request #{keep}."


def cancel_duplicates(apps, schema_editor):
    ApprovalRequest = apps.get_model("approvals", "ApprovalRequest")
    seen: dict[tuple[str, str], int] = {}
    pending = ApprovalRequest.objects.filter(state="pending").order_by("created_at", "id")
    for pk, kind, payload in pending.values_list("pk", "kind", "payload"):
        space_id = (payload or {}).get("space_id") if isinstance(payload, dict) else None
        if space_id is None:
            continue
        key = (kind, str(space_id))
        if key not in seen:
            seen[key] = pk
            continue
        ApprovalRequest.objects.filter(pk=pk).update(
            state="cancelled",
            decided_at=timezone.now(),
            remind_at=None,
            deadline_at=None,
            handler_error=NOTE.format(keep=seen[key]),
        )


class Migration(migrations.Migration):
    dependencies = [("approvals", "0002_seed_workflows_and_beat")]

    operations = [
        migrations.RunPython(cancel_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="approvalrequest",
            constraint=models.UniqueConstraint(
                models.F("kind"),
                django.db.models.fields.json.KeyTextTransform("space_id", "payload"),
                condition=models.Q(("state", "pending")),
                name="approvals_one_pending_per_space",
            ),
        ),
    ]
