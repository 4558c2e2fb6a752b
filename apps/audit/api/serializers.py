from rest_framework import serializers

from apps.audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(
        read_only=True,
        help_text="portal, api (session), token (personal access token), cli or task; "
        "empty for events recorded before channels were kept.",
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id", "created_at", "actor_type", "actor_user_id", "actor_name", "actor_detail",
            "actor_token_id", "channel", "action", "target_type", "target_id", "target_name", "space_id", "space_name",
            "cluster_id", "cluster_name", "outcome", "reason", "changes", "request_id", "ip",
            "user_agent", "prev_hash", "hash", "hash_version",
        ]  # fmt: skip
        read_only_fields = fields
