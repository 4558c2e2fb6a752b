from rest_framework import serializers

from apps.reconciler.models import DriftEvent, ReconcilePass


class PassSerializer(serializers.ModelSerializer):
    cluster = serializers.CharField(source="cluster.name")

    class Meta:
        model = ReconcilePass
        fields = ["id", "cluster", "scope", "target", "trigger", "status", "started_at",
                  "finished_at", "duration_ms", "checked", "applied", "pruned", "failed",
                  "deferred", "drifted", "prune_blocked", "api_calls", "error", "failures"]  # fmt: skip


class DriftSerializer(serializers.ModelSerializer):
    cluster = serializers.CharField(source="cluster.name")

    class Meta:
        model = DriftEvent
        fields = ["id", "cluster", "namespace", "app_name", "kind", "name", "change", "detail",
                  "trigger", "detected_at", "repaired_at", "error"]  # fmt: skip
