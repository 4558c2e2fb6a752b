from rest_framework import serializers

from apps.operations.models import Operation


class OperationSerializer(serializers.ModelSerializer):
    space = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    cluster = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    kind_label = serializers.CharField(read_only=True)
    actor = serializers.CharField(source="actor_display", read_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Operation
        fields = ["id", "kind", "kind_label", "state", "target_name", "cluster", "space",
                  "app_id", "progress_done", "progress_total", "progress_message", "percent",
                  "attempts", "lease_owner", "lease_expires_at", "error", "result", "actor",
                  "actor_type", "created_at", "updated_at", "started_at", "finished_at"]  # fmt: skip
        read_only_fields = fields
