from django.contrib import admin

from apps.backups.models import Backup


@admin.register(Backup)
class BackupAdmin(admin.ModelAdmin):
    """Read-only: backups change state through apps/backups/services.py alone."""

    list_display = ["id", "space_slug", "trigger", "state", "size_bytes", "created_at",
                    "verified_at", "keep_until"]  # fmt: skip
    list_filter = ["state", "trigger"]
    search_fields = ["space_slug", "location", "checksum"]
    readonly_fields = [f.name for f in Backup._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
