"""Input and output shapes of the approvals API (no queries: selectors load what they show)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.approvals.choices import Quorum, RequestState, Verdict
from apps.approvals.models import ApprovalRequest, Decision, WorkflowDefinition, WorkflowStep
from apps.approvals.registry import registered_kinds
from apps.core.api.serializers import InputSerializer, StrictInputMixin


class TargetSerializer(serializers.Serializer):
    type = serializers.CharField(source="target_type")
    id = serializers.CharField(source="target_id")
    name = serializers.CharField(source="target_name")


class DecisionSerializer(serializers.ModelSerializer):
    approver = serializers.CharField(source="approver.get_username")
    step = serializers.SerializerMethodField(help_text="Step number, from 1.")

    class Meta:
        model = Decision
        fields = ["id", "step", "approver", "verdict", "comment", "created_at"]

    def get_step(self, obj) -> int:
        return obj.step + 1


class StepStatusSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    approvers = serializers.CharField()
    quorum = serializers.ChoiceField(choices=Quorum.choices)
    quorum_count = serializers.IntegerField()
    required = serializers.IntegerField(
        allow_null=True, help_text="Approvals the current step needs (null for other steps)."
    )
    approvals = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["done", "current", "waiting", "rejected", "stopped", "skipped"]
    )
    escalated_to = serializers.CharField()
    deadline_at = serializers.DateTimeField(allow_null=True)
    decisions = DecisionSerializer(many=True)


class RequestSerializer(serializers.ModelSerializer):
    """A request in lists."""

    requester = serializers.CharField(source="requester.get_username")
    description = serializers.SerializerMethodField()
    state_colour = serializers.CharField()
    current_step = serializers.SerializerMethodField(
        help_text="Number (from 1) of the step waiting for decisions; null once decided."
    )
    current_step_name = serializers.SerializerMethodField()
    target = TargetSerializer(source="*")

    class Meta:
        model = ApprovalRequest
        fields = [
            "id", "kind", "description", "state", "state_colour", "requester", "reason",
            "current_step", "current_step_name", "target", "created_at", "decided_at",
        ]  # fmt: skip

    def get_description(self, obj) -> str:
        entry = registered_kinds().get(obj.kind)
        return entry.description(obj) if entry else obj.kind

    def get_current_step(self, obj) -> int | None:
        return obj.current_step + 1 if obj.step is not None else None

    def get_current_step_name(self, obj) -> str | None:
        return obj.step["name"] if obj.step is not None else None


class RequestDetailSerializer(RequestSerializer):
    """A request with its payload, its step timeline and every decision."""

    steps = serializers.SerializerMethodField()
    decisions = DecisionSerializer(many=True)
    can_decide = serializers.SerializerMethodField()
    can_cancel = serializers.SerializerMethodField()

    class Meta(RequestSerializer.Meta):
        fields = [
            *RequestSerializer.Meta.fields, "payload", "steps", "decisions",
            "can_decide", "can_cancel",
        ]  # fmt: skip

    @extend_schema_field(StepStatusSerializer(many=True))
    def get_steps(self, obj):
        return StepStatusSerializer(self.context["timeline"], many=True).data

    def get_can_decide(self, obj) -> bool:
        return self.context["can_decide"]

    def get_can_cancel(self, obj) -> bool:
        return self.context["can_cancel"]


class SubmitSerializer(InputSerializer):
    kind = serializers.CharField(max_length=100)
    payload = serializers.DictField(required=False, default=dict)
    reason = serializers.CharField(max_length=2000)
    target_type = serializers.CharField(max_length=100, required=False, default="")
    target_id = serializers.CharField(max_length=64, required=False, default="")
    target_name = serializers.CharField(max_length=255, required=False, default="")

    def validate_kind(self, value):
        entry = registered_kinds().get(value)
        if entry is None:
            raise serializers.ValidationError(_("Unknown request kind '%(k)s'.") % {"k": value})
        if not entry.allow_direct_submit:
            raise serializers.ValidationError(
                _("Requests of kind '%(k)s' are made through their own page or endpoint.")
                % {"k": value}
            )
        return value


class DecideSerializer(InputSerializer):
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class StepSerializer(StrictInputMixin, serializers.ModelSerializer):
    quorum = serializers.ChoiceField(choices=Quorum.choices, default=Quorum.ANY)
    escalate_to = serializers.CharField(max_length=150, required=False, allow_blank=True)

    class Meta:
        model = WorkflowStep
        fields = [
            "order", "name", "approvers", "quorum", "quorum_count",
            "deadline", "remind_after", "escalate_to",
        ]  # fmt: skip
        read_only_fields = ["order"]


class DefinitionSerializer(StrictInputMixin, serializers.ModelSerializer):
    steps = StepSerializer(many=True)
    updated_by = serializers.CharField(
        source="updated_by.get_username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = WorkflowDefinition
        fields = [
            "kind", "name", "description", "is_active", "steps", "updated_at", "updated_by",
        ]  # fmt: skip
        read_only_fields = ["kind", "updated_at"]


STATE_CHOICES = RequestState.values
