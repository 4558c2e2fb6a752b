from rest_framework import serializers

from apps.backups.models import Backup
from apps.core.api.serializers import InputSerializer


class BackupSerializer(serializers.ModelSerializer):
    space = serializers.CharField(source="space_slug", read_only=True)
    clusters = serializers.ListField(source="cluster_names", child=serializers.CharField(),
                                     read_only=True)  # fmt: skip
    counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()), read_only=True,
        help_text="Objects per kind, per cluster.",
    )  # fmt: skip
    actor = serializers.CharField(source="actor_name", read_only=True)
    operation = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Backup
        fields = ["id", "space", "clusters", "trigger", "state", "size_bytes", "counts",
                  "checksum", "location", "error", "actor", "operation", "created_at",
                  "verified_at", "keep_until"]  # fmt: skip
        read_only_fields = fields


class RestoreInputSerializer(InputSerializer):
    slug = serializers.SlugField(
        required=False, allow_blank=True, max_length=63,
        help_text="The new space's name (default: the old name, which must be free).",
    )  # fmt: skip
    cluster = serializers.CharField(
        required=False, allow_blank=True, max_length=63,
        help_text="The cluster to restore onto (default: the old primary cluster).",
    )  # fmt: skip
