"""Input and output shapes of the clusters API (credentials are write-only, never shown)."""

from rest_framework import serializers

from apps.clusters.choices import ClusterState, Environment
from apps.clusters.models import Cluster, ClusterPolicy, EnvironmentPolicy, ProbeRecord
from apps.clusters.policy import POLICY_FIELDS
from apps.clusters.quantity import percent
from apps.core.api.serializers import InputSerializer


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = ClusterPolicy
        fields = [*POLICY_FIELDS, "version", "updated_at"]
        read_only_fields = ["version", "updated_at"]


class EnvironmentPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = EnvironmentPolicy
        fields = ["environment", *POLICY_FIELDS, "updated_at"]
        read_only_fields = ["environment", "updated_at"]


class PolicyInputSerializer(InputSerializer):
    """Every field optional: what is left out keeps its value (validated by the service)."""

    cpu_overcommit = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    memory_overcommit = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    default_quota_cpu = serializers.CharField(max_length=16, required=False)
    default_quota_memory = serializers.CharField(max_length=16, required=False)
    max_quota_cpu = serializers.CharField(max_length=16, required=False)
    max_quota_memory = serializers.CharField(max_length=16, required=False)
    default_lifetime_days = serializers.IntegerField(required=False, allow_null=True)
    renewal_days = serializers.IntegerField(required=False, allow_null=True)
    renewal_cap_days = serializers.IntegerField(required=False, allow_null=True)
    reminder_days = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_null=True, max_length=50,
        help_text="Days before expiry to remind owners and admins; null: the installation default.",
    )  # fmt: skip
    terminal_allowed = serializers.BooleanField(required=False)


class ClusterSummarySerializer(serializers.ModelSerializer):
    """What everyone with a platform role sees: where spaces can go."""

    # A plain string in the schema: "state" enums of other apps would collide by name.
    state = serializers.CharField(
        read_only=True, help_text="One of: " + ", ".join(ClusterState.values) + "."
    )
    cpu_used_percent = serializers.SerializerMethodField()
    memory_used_percent = serializers.SerializerMethodField()

    class Meta:
        model = Cluster
        fields = [
            "name", "display_name", "environment", "region", "state", "kubernetes_version",
            "node_count", "cpu_used_percent", "memory_used_percent",
        ]  # fmt: skip

    def get_cpu_used_percent(self, cluster) -> int:
        return percent(cluster.cpu_requested_m, cluster.cpu_allocatable_m)

    def get_memory_used_percent(self, cluster) -> int:
        return percent(cluster.memory_requested, cluster.memory_allocatable)


class ClusterSerializer(ClusterSummarySerializer):
    """The full record for platform admins (credentials never included)."""

    policy = PolicySerializer(read_only=True)

    class Meta:
        model = Cluster
        fields = [
            *ClusterSummarySerializer.Meta.fields,
            "labels", "api_url", "verify_tls", "enabled", "cordoned", "health",
            "health_changed_at", "consecutive_failures", "last_probe_at", "last_probe_ok_at",
            "last_error", "nodes", "cpu_capacity_m", "cpu_allocatable_m", "cpu_requested_m",
            "cpu_limits_m", "memory_capacity", "memory_allocatable", "memory_requested",
            "memory_limits", "pods_capacity", "pods_allocatable", "pods_count", "policy",
            "created_at", "updated_at",
        ]  # fmt: skip


class ClusterRegisterSerializer(InputSerializer):
    """Register by kubeconfig (text, one context), or by API server URL + token + CA."""

    name = serializers.CharField(max_length=63)
    environment = serializers.ChoiceField(choices=Environment.choices)
    kubeconfig = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                       write_only=True, style={"base_template": "textarea.html"})  # fmt: skip
    context = serializers.CharField(required=False, allow_blank=True)
    api_url = serializers.CharField(required=False, allow_blank=True)
    token = serializers.CharField(required=False, allow_blank=True, write_only=True)
    ca_data = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                    help_text="CA certificate, PEM text.")  # fmt: skip
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    region = serializers.CharField(required=False, allow_blank=True, max_length=63)
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    verify_tls = serializers.BooleanField(required=False, default=True)


class ClusterUpdateSerializer(InputSerializer):
    """Every field optional; new credentials are checked against the cluster before saving."""

    display_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    region = serializers.CharField(required=False, allow_blank=True, max_length=63)
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    verify_tls = serializers.BooleanField(required=False)
    kubeconfig = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, write_only=True
    )
    context = serializers.CharField(required=False, allow_blank=True)
    api_url = serializers.CharField(required=False, allow_blank=True)
    token = serializers.CharField(required=False, allow_blank=True, write_only=True)
    ca_data = serializers.CharField(required=False, allow_blank=True, write_only=True)


class ProbeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProbeRecord
        fields = ["at", "ok", "health", "duration_ms", "retried_errors", "node_count", "error"]


class PlacementSerializer(serializers.Serializer):
    cluster = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    skipped = serializers.DictField(child=serializers.CharField())
