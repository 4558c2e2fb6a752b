from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.ipam.choices import Mode
from apps.ipam.models import IpamPolicy, IpamRun, LeakCandidate


class IpamPolicySerializer(serializers.ModelSerializer):
    cluster = serializers.CharField(source="cluster.name", read_only=True)

    class Meta:
        model = IpamPolicy
        fields = ["cluster", "mode", "grace_seconds", "release_bound", "max_leaked_share",
                  "interval_seconds", "pools", "last_scheduled_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class IpamPolicyInputSerializer(InputSerializer):
    mode = serializers.ChoiceField(choices=Mode.choices, required=False)
    grace_seconds = serializers.IntegerField(min_value=0, max_value=7 * 86400, required=False)
    release_bound = serializers.IntegerField(min_value=1, max_value=10000, required=False)
    max_leaked_share = serializers.FloatField(min_value=0.01, max_value=1.0, required=False)
    interval_seconds = serializers.IntegerField(min_value=60, max_value=86400, required=False)
    pools = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False, max_length=100,
        help_text="IPPool names K2Cloud may release from (empty: every enabled pool).",
    )  # fmt: skip


class IpamRunSerializer(serializers.ModelSerializer):
    cluster = serializers.CharField(source="cluster.name", read_only=True)
    operation = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    actor = serializers.CharField(source="actor_name", read_only=True)
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = IpamRun
        fields = ["id", "cluster", "operation", "trigger", "mode", "state", "counts", "error",
                  "actor", "started_at", "finished_at"]  # fmt: skip
        read_only_fields = fields


class IpamRunDetailSerializer(IpamRunSerializer):
    report = serializers.DictField(
        read_only=True,
        help_text="pools (with blocks and leaked share), counts, candidates, released, held, "
        "errors, problems, orphan_handles, stale_affinities, stopped, api_calls, seconds.",
    )

    class Meta(IpamRunSerializer.Meta):
        fields = [*IpamRunSerializer.Meta.fields, "report"]
        read_only_fields = fields


class LeakCandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeakCandidate
        fields = ["ip", "handle", "block", "cidr", "ordinal", "namespace", "pod", "node", "pool",
                  "reason", "first_seen_at", "last_seen_at"]  # fmt: skip
        read_only_fields = fields
