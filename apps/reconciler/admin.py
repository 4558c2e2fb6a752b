from django.contrib import admin

from apps.reconciler.models import DriftEvent, ObjectFailure, ReconcilePass


@admin.register(ReconcilePass)
class ReconcilePassAdmin(admin.ModelAdmin):
    list_display = ["cluster", "scope", "target", "trigger", "status", "started_at",
                    "duration_ms", "checked", "applied", "pruned", "failed"]  # fmt: skip
    list_filter = ["status", "scope", "trigger"]


@admin.register(DriftEvent)
class DriftEventAdmin(admin.ModelAdmin):
    list_display = ["cluster", "namespace", "kind", "name", "change", "detected_at", "repaired_at"]
    list_filter = ["change", "trigger"]


@admin.register(ObjectFailure)
class ObjectFailureAdmin(admin.ModelAdmin):
    list_display = ["cluster", "kind", "namespace", "name", "attempts", "next_attempt_at"]
