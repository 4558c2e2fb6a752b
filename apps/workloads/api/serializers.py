"""Explicit input and output of the apps API (no queries here: the selectors prefetch)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.workloads.choices import AppKind, AppStatus


class PlacementSerializer(InputSerializer):
    cluster = serializers.CharField()
    weight = serializers.IntegerField(min_value=0, max_value=100, default=1)


class PlacementOutSerializer(serializers.Serializer):
    cluster = serializers.CharField(source="cluster.name")
    weight = serializers.IntegerField()
    status = serializers.CharField()
    error = serializers.CharField()
    applied_at = serializers.DateTimeField(allow_null=True)


class AppSerializer(serializers.Serializer):
    """An app as lists show it."""

    space = serializers.CharField(source="space.slug")
    name = serializers.CharField()
    # Plain strings (values listed in the help) keep the schema's enum names unambiguous.
    kind = serializers.CharField(help_text=" | ".join(AppKind.values))
    description = serializers.CharField()
    status = serializers.CharField(help_text=" | ".join(AppStatus.values))
    status_message = serializers.CharField()
    image = serializers.SerializerMethodField()
    replicas = serializers.IntegerField()
    paused = serializers.BooleanField()
    paused_replicas = serializers.IntegerField(allow_null=True)
    revision = serializers.IntegerField(source="revision.number", allow_null=True)
    canary = serializers.SerializerMethodField()
    placement = PlacementOutSerializer(source="placements.all", many=True)
    generation = serializers.IntegerField()
    applied_generation = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_image(self, app) -> str:
        return app.revision.spec.get("image", "") if app.revision else ""

    def get_canary(self, app) -> dict | None:
        if not app.canary_revision_id:
            return None
        return {
            "revision": app.canary_revision.number,
            "image": app.canary_revision.spec.get("image", ""),
            "weight": app.canary_weight,
            "replicas": app.canary_replicas,
        }


class AppDetailSerializer(AppSerializer):
    """An app with its current spec."""

    spec = serializers.JSONField(source="revision.spec")


class AppCreateSerializer(InputSerializer):
    space = serializers.CharField(help_text=_("The space (its name) the app lives in."))
    name = serializers.CharField(max_length=100)
    spec = serializers.JSONField(help_text=_("The app spec (see docs/workloads.md)."))
    replicas = serializers.IntegerField(min_value=0, max_value=100, default=1)
    placement = PlacementSerializer(many=True, required=False)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    message = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AppEditSerializer(InputSerializer):
    spec = serializers.JSONField(help_text=_("Keys to change; the others keep their value."))
    message = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ScaleSerializer(InputSerializer):
    replicas = serializers.IntegerField(min_value=0, max_value=100)


class RollbackSerializer(InputSerializer):
    revision = serializers.IntegerField(min_value=1)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CloneSerializer(InputSerializer):
    target_space = serializers.CharField(required=False, help_text=_("Same space when left out."))
    name = serializers.CharField(max_length=100)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PlacementChangeSerializer(InputSerializer):
    placement = PlacementSerializer(many=True)


class CanarySerializer(InputSerializer):
    spec = serializers.JSONField(required=False, default=dict)
    weight = serializers.IntegerField(min_value=0, max_value=100)
    replicas = serializers.IntegerField(min_value=1, max_value=20, default=1)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class WeightSerializer(InputSerializer):
    weight = serializers.IntegerField(min_value=0, max_value=100)


class AdoptSerializer(InputSerializer):
    space = serializers.CharField()
    deployment = serializers.CharField(max_length=253)
    name = serializers.CharField(max_length=100, required=False)
    cluster = serializers.CharField(required=False)


class RevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    message = serializers.CharField()
    author = serializers.CharField(source="author_name")
    source_number = serializers.IntegerField(allow_null=True)
    spec_hash = serializers.CharField()
    created_at = serializers.DateTimeField()


class RevisionDetailSerializer(RevisionSerializer):
    spec = serializers.JSONField()


class DiffSerializer(serializers.Serializer):
    from_revision = serializers.IntegerField()
    to_revision = serializers.IntegerField()
    diff = serializers.CharField()


class StatusSerializer(serializers.Serializer):
    phase = serializers.CharField()
    phase_label = serializers.CharField()
    message = serializers.CharField()
    summary = serializers.DictField(child=serializers.IntegerField())
    clusters = serializers.ListField(child=serializers.DictField())
    pods = serializers.ListField(child=serializers.DictField())
    events = serializers.ListField(child=serializers.DictField())
    last_oom = serializers.DictField(allow_null=True)
    read_at = serializers.CharField()
