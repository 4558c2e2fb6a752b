"""Append-only: the ORM, the admin and (on PostgreSQL) a trigger refuse changes; a change
made with the trigger disabled is caught by audit_verify."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AppendOnlyError, AuditEvent
from tests.audit.factories import make_event

pytestmark = pytest.mark.django_db


def test_the_orm_refuses_to_edit_or_delete_an_event():
    event = make_event()
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["reason"])
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_the_admin_shows_events_read_only(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("sup", "sup@example.test", "pw-12345678")
    client.force_login(superuser)
    event = make_event()
    base = f"/admin/audit/auditevent/{event.pk}"

    assert client.get(f"{base}/change/").status_code == 200  # viewing is allowed
    assert client.post(f"{base}/change/", {"reason": "rewritten"}).status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    response = client.post(
        "/admin/audit/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk]}
    )
    assert response.status_code in (200, 302)
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_postgresql_trigger_refuses_raw_update_and_delete(require_postgres):
    event = make_event()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_an_update_with_the_trigger_disabled_is_caught_by_audit_verify(require_postgres):
    events = [make_event(f"test.step{i}") for i in range(5)]
    call_command("audit_verify")  # intact

    _raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    _raw("UPDATE audit_auditevent SET reason = 'nothing happened' WHERE id = %s", [events[2].pk])

    with pytest.raises(CommandError) as exc:
        call_command("audit_verify")
    assert exc.value.returncode == 1
    assert f"event {events[2].pk}: content hash mismatch" in str(exc.value)


def test_a_deleted_event_breaks_the_next_link(require_postgres):
    events = [make_event(f"test.step{i}") for i in range(4)]
    _raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

    with pytest.raises(CommandError, match=f"event {events[2].pk}: prev link mismatch"):
        call_command("audit_verify")
