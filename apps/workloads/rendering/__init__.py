"""Pure rendering of K2 apps into Kubernetes manifests.

No Django models and no API calls here (quantities are parsed by apps/clusters/quantity.py,
the client's own parser), so the reconciler can call these functions in bulk:

    target = AppTarget(space="shop", namespace="shop", name="web",
                       stable=Release(spec=normalize_spec(raw), revision=3, replicas=2),
                       policy=Policy(cpu_overcommit=4, memory_overcommit=2))
    manifests = render_app(target)          # list of dicts, deterministic order
    text = to_yaml(manifests)               # multi-document YAML for kubectl

Every manifest carries app.kubernetes.io/managed-by=k2cloud, k2cloud.io/space and
k2cloud.io/app labels and a k2cloud.io/spec-hash annotation.
"""

import yaml

from apps.workloads.rendering import network, workload
from apps.workloads.rendering.common import (
    APP_LABEL,
    CANARY,
    MANAGED_BY,
    MANAGER,
    REVISION_LABEL,
    SPACE_LABEL,
    SPEC_HASH,
    STABLE,
    TRACK_LABEL,
    AppTarget,
    Policy,
    Release,
    digest,
    stamp,
)
from apps.workloads.rendering.placement import split_replicas
from apps.workloads.rendering.spec import normalize_spec, validate_spec

# Apply order: what others refer to first.
KIND_ORDER = ("ConfigMap", "Service", "Deployment", "StatefulSet", "Job", "CronJob", "Ingress")
# Every (apiVersion, kind) rendering can produce: what the reconciler lists per cluster.
RENDERED_KINDS = (
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("networking.k8s.io/v1", "Ingress"),
)


def _track(target: AppTarget, release: Release, track: str) -> list[dict | None]:
    kind = release.spec["kind"]
    objects = [network.configmap(target, release, track)]
    if kind == "service":
        objects += [
            network.service(target, release, track),
            workload.deployment(target, release, track),
            network.ingress(target, release, track),
        ]
    elif kind == "stateful":
        objects += [
            network.headless_service(target, release),
            network.service(target, release, track),
            workload.statefulset(target, release),
            network.ingress(target, release, track),
        ]
    elif kind == "job":
        objects.append(workload.job(target, release))
    elif kind == "cronjob":
        objects.append(workload.cronjob(target, release))
    else:
        raise ValueError(f"unknown app kind {kind!r}")
    return objects


def render_app(target: AppTarget) -> list[dict]:
    """The manifests of one app on one cluster, in apply order, each stamped with its hash.

    A canary (only for kind "service") adds its own ConfigMap, Deployment, Service and an
    ingress-nginx canary Ingress at `target.canary_weight`.
    """
    objects = _track(target, target.stable, STABLE)
    if target.canary is not None:
        if target.stable.spec["kind"] != "service":
            raise ValueError("only service apps can run a canary")
        objects += _track(target, target.canary, CANARY)
    manifests = [stamp(obj) for obj in objects if obj is not None]
    manifests.sort(key=lambda m: (KIND_ORDER.index(m["kind"]), m["metadata"]["name"]))
    return manifests


def to_yaml(manifests: list[dict]) -> str:
    """A multi-document YAML file, ready for `kubectl apply -f`."""
    return yaml.safe_dump_all(manifests, sort_keys=False, default_flow_style=False, width=1000)


__all__ = [
    "APP_LABEL",
    "CANARY",
    "KIND_ORDER",
    "MANAGED_BY",
    "MANAGER",
    "RENDERED_KINDS",
    "REVISION_LABEL",
    "SPACE_LABEL",
    "SPEC_HASH",
    "STABLE",
    "TRACK_LABEL",
    "AppTarget",
    "Policy",
    "Release",
    "digest",
    "normalize_spec",
    "render_app",
    "split_replicas",
    "to_yaml",
    "validate_spec",
]
