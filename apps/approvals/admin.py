"""Django admin: platform admins edit workflows here too, through the engine's service.

The change page is one more client of `do_update_definition`: the steps are checked by
`validate_steps` while the form is validated (errors are shown on the page, nothing is
saved), and the save itself is the service's (one transaction, audited, `updated_by`).
Definitions are neither added nor deleted here: each kind's workflow is seeded by
migrations, and a kind without one could not be used. Requests are read-only.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from apps.approvals.models import ApprovalRequest, Decision, WorkflowDefinition, WorkflowStep
from apps.approvals.services import do_update_definition, validate_steps
from apps.audit.actors import Actor

STEP_FIELDS = (
    "name", "approvers", "quorum", "quorum_count", "deadline", "remind_after", "escalate_to",
)  # fmt: skip


def steps_of(formset) -> list[dict]:
    """The steps the inline formset describes, in their order, without the deleted ones."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or (form.instance.pk is None and not form.has_changed()):
            continue
        rows.append((data.get("order") or 0, {name: data.get(name) for name in STEP_FIELDS}))
    return [step for _order, step in sorted(rows, key=lambda row: row[0])]


class StepFormSet(forms.BaseInlineFormSet):
    """Validates the steps as a whole with the service's own rules."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        steps = steps_of(self)
        try:
            validate_steps(steps)
        except ValidationError as exc:
            messages = []
            for key, errors in exc.message_dict.items():
                label = key
                if key.startswith("steps["):
                    index = int(key[len("steps[") : key.index("]")])
                    label = steps[index]["name"] or str(index + 1)
                    messages += [f"{label}: {message}" for message in errors]
                else:
                    messages += errors
            raise ValidationError(messages) from exc
        self.steps = steps


class WorkflowStepInline(admin.TabularInline):
    model = WorkflowStep
    formset = StepFormSet
    extra = 0
    fields = ("order", *STEP_FIELDS)


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(admin.ModelAdmin):
    list_display = ("kind", "name", "is_active", "updated_at", "updated_by")
    readonly_fields = ("kind", "updated_at", "updated_by")
    inlines = [WorkflowStepInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing is written here: `save_related` hands the whole change to the service."""

    def save_related(self, request, form, formsets, change):
        steps = next((fs.steps for fs in formsets if isinstance(fs, StepFormSet)), None)
        data = form.cleaned_data
        form.instance = do_update_definition(
            WorkflowDefinition.objects.get(pk=form.instance.pk),
            actor=Actor.from_request(request),
            steps=steps,
            name=data.get("name"),
            description=data.get("description"),
            is_active=data.get("is_active"),
        )
        for formset in formsets:  # what the admin's change message reads after a save
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


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
