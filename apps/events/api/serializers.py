"""Serializers of /api/v1/events/: stored events, alert rules and sinks (targets are never
read back), and the input of a new rule or sink (unknown fields refused)."""

from datetime import datetime

from rest_framework import serializers

from apps.core.api.serializers import InputSerializer
from apps.events.choices import EventType, SinkKind
from apps.events.models import AlertRule, Event, Silence, Sink


class EventSerializer(serializers.ModelSerializer):
    cluster = serializers.CharField(source="cluster.name")
    space = serializers.CharField(source="space.slug", allow_null=True, default=None)
    app = serializers.CharField(source="app.name", allow_null=True, default=None)

    class Meta:
        model = Event
        fields = ["id", "cluster", "space", "app", "namespace", "kind", "name", "reason", "type",
                  "message", "component", "count", "first_seen", "last_seen", "fingerprint"]  # fmt: skip


class SinkSerializer(serializers.ModelSerializer):
    space = serializers.CharField(source="space.slug", allow_null=True, default=None)

    class Meta:
        model = Sink
        fields = ["id", "name", "kind", "space", "enabled", "created_at"]


class RuleSerializer(serializers.ModelSerializer):
    space = serializers.CharField(source="space.slug", allow_null=True, default=None)
    app = serializers.CharField(source="app.name", allow_null=True, default=None)
    cluster = serializers.CharField(source="cluster.name", allow_null=True, default=None)
    sinks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    silenced_until = serializers.SerializerMethodField(
        help_text="End of the silence in force, or null when the rule notifies."
    )

    class Meta:
        model = AlertRule
        fields = ["id", "name", "space", "app", "cluster", "type", "reason", "kind", "environment",
                  "threshold", "window_seconds", "renotify_seconds", "sinks", "enabled",
                  "silenced_until", "created_at"]  # fmt: skip

    def get_silenced_until(self, rule) -> datetime | None:
        from apps.events.selectors import active_silence

        silence = active_silence(rule)
        return silence.ends_at if silence else None


class SilenceSerializer(serializers.ModelSerializer):
    rule = serializers.PrimaryKeyRelatedField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)

    class Meta:
        model = Silence
        fields = ["id", "rule", "ends_at", "comment", "created_by", "created_at"]


class SilenceInputSerializer(InputSerializer):
    ends_at = serializers.DateTimeField(help_text="When the rule notifies again (at most 90 days).")
    comment = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RuleInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=80)
    space = serializers.CharField(max_length=63, required=False, allow_blank=True)
    app = serializers.CharField(max_length=40, required=False, allow_blank=True)
    cluster = serializers.CharField(max_length=63, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=["", *EventType.values], required=False)
    reason = serializers.CharField(max_length=128, required=False, allow_blank=True)
    kind = serializers.CharField(max_length=64, required=False, allow_blank=True)
    environment = serializers.CharField(max_length=16, required=False, allow_blank=True)
    threshold = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    window_seconds = serializers.IntegerField(min_value=1, max_value=30 * 86400, required=False)
    renotify_seconds = serializers.IntegerField(min_value=10, max_value=30 * 86400, required=False)
    sinks = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=20)
    enabled = serializers.BooleanField(required=False)


class SinkInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=80)
    space = serializers.CharField(max_length=63, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=SinkKind.values)
    target = serializers.CharField(
        max_length=2000, help_text="URL, or email addresses (comma-separated)"
    )
    secret = serializers.CharField(
        max_length=200, required=False, allow_blank=True, write_only=True
    )
