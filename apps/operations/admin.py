from django.contrib import admin

from apps.operations.models import Operation


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "target_name", "state", "progress_done", "progress_total",
                    "attempts", "lease_owner", "created_at"]  # fmt: skip
    list_filter = ["state", "kind"]
    search_fields = ["target_name", "key"]
    readonly_fields = [f.name for f in Operation._meta.fields]
