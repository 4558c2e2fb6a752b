"""Input and output shapes of the spaces API (no queries here: the views prefetch)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.clusters.choices import PRODUCTION_ENVIRONMENTS, Environment
from apps.core.api.serializers import InputSerializer
from apps.spaces.choices import SpaceRole, SpaceState
from apps.spaces.lifetime import days_left
from apps.spaces.models import Membership, Space, SpaceCluster, SpaceTransition
from apps.spaces.services import renewal_terms


class SpaceQuotaSerializer(InputSerializer):
    cpu = serializers.CharField(required=False, help_text=_("CPU limits, e.g. 4 or 500m."))
    memory = serializers.CharField(required=False, help_text=_("Memory limits, e.g. 8Gi."))
    pods = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    storage = serializers.CharField(required=False, help_text=_("Storage requests, e.g. 20Gi."))


class SpaceClusterSerializer(serializers.ModelSerializer):
    cluster = serializers.CharField(source="cluster.name")
    status = serializers.CharField(help_text=_("pending, ready, failed, deleting or deleted."))
    primary = serializers.BooleanField(source="is_primary")

    class Meta:
        model = SpaceCluster
        fields = ["cluster", "primary", "status", "error", "last_attempt_at", "ready_at"]


class SpaceSerializer(serializers.ModelSerializer):
    # Plain strings in the schema: enum names of "state" collide across apps.
    state = serializers.CharField(help_text=_("See state_label; values of SpaceState."))
    state_label = serializers.SerializerMethodField()
    state_colour = serializers.SerializerMethodField()
    primary_cluster = serializers.CharField(source="primary_cluster.name")
    owner = serializers.CharField(source="owner.username")
    clusters = SpaceClusterSerializer(source="placements", many=True)
    quota = serializers.SerializerMethodField()
    default_limits = serializers.SerializerMethodField()
    namespace = serializers.CharField()
    days_left = serializers.SerializerMethodField(
        help_text=_(
            "Whole days until expiry, rounded up; 0 once expired; null if it never expires."
        )
    )
    renewals_allowed = serializers.SerializerMethodField(
        help_text=_(
            "Renewals used plus those that still fit under the cap without approval; "
            "null if it never expires."
        )
    )

    class Meta:
        model = Space
        fields = [
            "id", "slug", "namespace", "display_name", "description", "environment", "state",
            "state_label", "state_colour", "last_error", "primary_cluster", "clusters", "owner",
            "quota", "default_limits", "expires_at", "days_left", "renewals_used",
            "renewals_allowed", "reason", "created_at", "state_changed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_state_label(self, space) -> str:
        return str(SpaceState(space.state).label)

    def get_state_colour(self, space) -> str:
        return SpaceState(space.state).colour

    def get_quota(self, space) -> dict:
        return {"cpu": space.quota_cpu, "memory": space.quota_memory,
                "pods": space.quota_pods, "storage": space.quota_storage}  # fmt: skip

    def get_default_limits(self, space) -> dict:
        return {"cpu": space.default_cpu_limit, "memory": space.default_memory_limit}

    def get_days_left(self, space) -> int | None:
        return days_left(space.expires_at, timezone.now())

    def get_renewals_allowed(self, space) -> int | None:
        if space.expires_at is None or space.environment in PRODUCTION_ENVIRONMENTS:
            return None
        return renewal_terms(space)["renewals_allowed"]


class SpaceListSerializer(SpaceSerializer):
    my_role = serializers.CharField(allow_null=True, read_only=True)

    class Meta(SpaceSerializer.Meta):
        fields = [*SpaceSerializer.Meta.fields, "my_role"]
        read_only_fields = fields


class SpaceCreatedSerializer(SpaceSerializer):
    approval_request = serializers.IntegerField(
        allow_null=True, read_only=True, help_text=_("The space.create.prod request, if any.")
    )
    quota_request = serializers.IntegerField(
        allow_null=True, read_only=True,
        help_text=_("The quota.raise request for more than the policy maximum, if any."),
    )  # fmt: skip

    class Meta(SpaceSerializer.Meta):
        fields = [*SpaceSerializer.Meta.fields, "approval_request", "quota_request"]
        read_only_fields = fields


class SpaceCreateSerializer(InputSerializer):
    slug = serializers.CharField(
        max_length=200, allow_blank=True, help_text=_("The namespace name (DNS-1123).")
    )
    environment = serializers.ChoiceField(choices=Environment.choices)
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    cluster = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Leave out to let K2Cloud place it.")
    )
    extra_clusters = serializers.ListField(
        child=serializers.CharField(), required=False, default=list
    )
    quota = SpaceQuotaSerializer(required=False)
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Required for production spaces.")
    )


class SpaceUpdateSerializer(InputSerializer):
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class SpaceQuotaRequestSerializer(InputSerializer):
    quota = SpaceQuotaSerializer()
    reason = serializers.CharField(required=False, allow_blank=True)


class SpaceRenewSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class SpaceTransferSerializer(InputSerializer):
    user = serializers.CharField(help_text=_("Username of the new owner."))


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")
    role_label = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["user", "role", "role_label", "created_at", "updated_at"]
        read_only_fields = fields

    def get_role_label(self, membership) -> str:
        return str(SpaceRole(membership.role).label)


class MemberAddSerializer(InputSerializer):
    user = serializers.CharField(help_text=_("Username."))
    role = serializers.ChoiceField(choices=SpaceRole.choices)


class MemberChangeSerializer(InputSerializer):
    role = serializers.ChoiceField(choices=SpaceRole.choices)


class SpaceTransitionSerializer(serializers.ModelSerializer):
    from_state = serializers.CharField()
    to_state = serializers.CharField()

    class Meta:
        model = SpaceTransition
        fields = ["from_state", "to_state", "at", "actor_name", "message"]
        read_only_fields = fields


class SpaceRequestSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    requester = serializers.CharField(source="requester.username")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decisions = serializers.SerializerMethodField()

    def get_decisions(self, request) -> list[dict]:
        return [
            {"approver": d.approver.username, "verdict": d.verdict, "comment": d.comment,
             "step": d.step, "at": d.created_at}
            for d in request.decisions.all()
        ]  # fmt: skip


class SpaceChangeResultSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    approval_request = serializers.IntegerField(allow_null=True)
    space = SpaceSerializer()
