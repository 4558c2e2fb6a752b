"""Django admin: audit rows can be looked at, never added, changed or deleted."""

from django.contrib import admin

from apps.audit.models import AuditArchive, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "actor_name",
        "channel",
        "action",
        "target_type",
        "target_name",
        "outcome",
    ]
    list_filter = ["outcome", "actor_type", "channel"]
    search_fields = ["action", "actor_name", "target_name", "request_id"]
    date_hierarchy = "created_at"


@admin.register(AuditArchive)
class AuditArchiveAdmin(ReadOnlyAdmin):
    list_display = ["id", "path", "event_count", "first_event_id", "last_event_id", "created_at"]
