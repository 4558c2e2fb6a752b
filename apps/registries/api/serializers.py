from rest_framework import serializers

from apps.clusters.models import Cluster
from apps.core.api.serializers import InputSerializer
from apps.registries.choices import RegistryKind, RunMode
from apps.registries.models import Registry, RegistryRun


class RegistrySerializer(serializers.ModelSerializer):
    """A registry; its password is never returned (`has_password` says whether one is set)."""

    has_password = serializers.SerializerMethodField()
    clusters = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Registry
        fields = ["name", "kind", "url", "username", "has_password", "pull_host", "mode", "policy",
                  "clusters", "enabled", "gc_hour", "health", "checked_at", "last_gc_at",
                  "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_has_password(self, obj) -> bool:
        return bool(obj.password_encrypted)


class RegistryInputSerializer(InputSerializer):
    name = serializers.SlugField(max_length=63, required=False)
    kind = serializers.ChoiceField(choices=RegistryKind.choices, required=False)
    url = serializers.URLField(max_length=300, required=False)
    username = serializers.CharField(max_length=150, required=False, allow_blank=True)
    password = serializers.CharField(
        max_length=500, required=False, allow_blank=True, write_only=True
    )
    pull_host = serializers.CharField(max_length=300, required=False, allow_blank=True)
    mode = serializers.ChoiceField(choices=RunMode.choices, required=False)
    policy = serializers.JSONField(
        required=False, help_text="keep_last, keep_days, protected, repositories"
    )
    clusters = serializers.SlugRelatedField(slug_field="name", many=True, required=False,
                                            queryset=Cluster.objects.all())  # fmt: skip
    enabled = serializers.BooleanField(required=False)
    gc_hour = serializers.IntegerField(min_value=0, max_value=23, required=False)


class RegistryCreateSerializer(RegistryInputSerializer):
    name = serializers.SlugField(max_length=63)
    kind = serializers.ChoiceField(choices=RegistryKind.choices)
    url = serializers.URLField(max_length=300)


class RunInputSerializer(InputSerializer):
    mode = serializers.ChoiceField(choices=RunMode.choices, required=False,
                                   help_text="default: the registry's mode")  # fmt: skip


class RegistryRunSerializer(serializers.ModelSerializer):
    registry = serializers.CharField(source="registry.name", read_only=True)
    operation = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    preview = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    actor = serializers.CharField(source="actor_name", read_only=True)
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = RegistryRun
        fields = ["id", "registry", "operation", "what", "mode", "state", "preview", "counts",
                  "bytes_reclaimed", "error", "actor", "started_at", "finished_at"]  # fmt: skip
        read_only_fields = fields


class RegistryRunDetailSerializer(RegistryRunSerializer):
    report = serializers.JSONField(read_only=True)

    class Meta(RegistryRunSerializer.Meta):
        fields = [*RegistryRunSerializer.Meta.fields, "report"]
        read_only_fields = fields
