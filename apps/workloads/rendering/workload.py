"""The controller objects: Deployment, StatefulSet, Job, CronJob."""

from apps.clusters.quantity import format_memory, memory_bytes
from apps.workloads.rendering.common import (
    REVISION_LABEL,
    STABLE,
    TRACK_LABEL,
    AppTarget,
    Release,
    metadata,
    object_name,
    selector_labels,
    workload_selector,
)
from apps.workloads.rendering.pod import pod_template


def _labels(release: Release, track: str) -> dict:
    return {TRACK_LABEL: track, REVISION_LABEL: str(release.revision)}


def deployment(target: AppTarget, release: Release, track: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(
            target, object_name(target.name, track), labels=_labels(release, track)
        ),
        "spec": {
            "replicas": 0 if target.paused else release.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": workload_selector(target, release, track)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
            },
            "template": pod_template(target, release, track),
        },
    }


def statefulset(target: AppTarget, release: Release) -> dict:
    storage = release.spec["storage"]
    claim = {
        "metadata": {"name": "data"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": format_memory(memory_bytes(storage["size"]))}},
        },
    }
    if storage["storage_class"]:
        claim["spec"]["storageClassName"] = storage["storage_class"]
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(target, target.name, labels=_labels(release, STABLE)),
        "spec": {
            "replicas": 0 if target.paused else release.replicas,
            "serviceName": object_name(target.name, STABLE, "headless"),
            "podManagementPolicy": "OrderedReady",
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector_labels(target, STABLE)},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": pod_template(target, release, STABLE),
            "volumeClaimTemplates": [claim],
        },
    }


def _job_spec(target: AppTarget, release: Release) -> dict:
    return {
        "backoffLimit": 3,
        "ttlSecondsAfterFinished": 86400,
        "template": pod_template(target, release, STABLE, restart_policy="OnFailure"),
    }


def job(target: AppTarget, release: Release) -> dict:
    spec = _job_spec(target, release)
    spec["suspend"] = target.paused
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(target, target.name, labels=_labels(release, STABLE)),
        "spec": spec,
    }


def cronjob(target: AppTarget, release: Release) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(target, target.name, labels=_labels(release, STABLE)),
        "spec": {
            "schedule": release.spec["schedule"],
            "suspend": target.paused,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "metadata": {"labels": selector_labels(target, STABLE)},
                "spec": _job_spec(target, release),
            },
        },
    }
