"""Services (ClusterIP and the StatefulSet's headless one), Ingress (ingress-nginx,
with canary annotations for a canary track) and the ConfigMap of config files."""

from apps.workloads.rendering.common import (
    CANARY,
    STABLE,
    AppTarget,
    Release,
    metadata,
    object_name,
    selector_labels,
    workload_selector,
)
from apps.workloads.rendering.pod import config_data

INGRESS_CLASS = "nginx"
CANARY_ANNOTATION = "nginx.ingress.kubernetes.io/canary"
CANARY_WEIGHT_ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight"


def _service_ports(release: Release) -> list[dict]:
    return [
        {"name": p["name"], "port": p["port"], "targetPort": p["port"], "protocol": p["protocol"]}
        for p in release.spec["ports"]
        if p["expose"]
    ]


def service(target: AppTarget, release: Release, track: str) -> dict | None:
    ports = _service_ports(release)
    if not ports:
        return None
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(target, object_name(target.name, track)),
        "spec": {
            "type": "ClusterIP",
            "selector": workload_selector(target, release, track),
            "ports": ports,
        },
    }


def headless_service(target: AppTarget, release: Release) -> dict:
    ports = [
        {"name": p["name"], "port": p["port"], "targetPort": p["port"], "protocol": p["protocol"]}
        for p in release.spec["ports"]
    ] or [{"name": "placeholder", "port": 80, "targetPort": 80, "protocol": "TCP"}]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(target, object_name(target.name, STABLE, "headless")),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": selector_labels(target, STABLE),
            "ports": ports,
        },
    }


def ingress(target: AppTarget, release: Release, track: str) -> dict | None:
    rule = release.spec["ingress"]
    if not rule or not _service_ports(release):
        return None
    annotations = {}
    if track == CANARY:
        annotations = {
            CANARY_ANNOTATION: "true",
            CANARY_WEIGHT_ANNOTATION: str(target.canary_weight),
        }
    name = object_name(target.name, track)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata(target, name, annotations=annotations),
        "spec": {
            "ingressClassName": INGRESS_CLASS,
            "rules": [
                {
                    "host": rule["host"],
                    "http": {
                        "paths": [
                            {
                                "path": rule["path"],
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {"name": name, "port": {"number": rule["port"]}}
                                },
                            }
                        ]
                    },
                }
            ],
        },
    }


def configmap(target: AppTarget, release: Release, track: str) -> dict | None:
    data = config_data(release.spec)
    if not data:
        return None
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(target, object_name(target.name, track, "config")),
        "data": dict(sorted(data.items())),
    }
