"""Django admin: platform admins edit workflows here too (the change is audited)."""

from django.contrib import admin

from apps.approvals.models import ApprovalRequest, Decision, WorkflowDefinition, WorkflowStep
from apps.approvals.services import _definition_state
from apps.audit.services import record


class WorkflowStepInline(admin.TabularInline):
    model = WorkflowStep
    extra = 0
    fields = (
        "order", "name", "approvers", "quorum", "quorum_count",
        "deadline", "remind_after", "escalate_to",
    )  # fmt: skip


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(admin.ModelAdmin):
    list_display = ("kind", "name", "is_active", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")
    inlines = [WorkflowStepInline]

    def save_model(self, request, obj, form, change):
        obj._audit_before = _definition_state(obj) if change and obj.pk else {}
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before, after = getattr(obj, "_audit_before", {}), _definition_state(obj)
        changes = {
            k: {"before": before.get(k), "after": after[k]}
            for k in after
            if before.get(k) != after[k]
        }
        if changes:
            record(request.user, "approval.definition.update", obj, changes=changes)


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    readonly_fields = ("step", "approver", "verdict", "comment", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """Read-only: requests change through the engine's services only."""

    list_display = ("id", "kind", "requester", "state", "current_step", "created_at")
    list_filter = ("state", "kind")
    inlines = [DecisionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
