"""The Kubernetes objects a space consists of on each of its clusters (pure functions).

Everything carries the K2 labels (`app.kubernetes.io/managed-by=k2cloud`,
`k2cloud.io/space`) and a `k2cloud.io/spec-hash` annotation over the rest of the object,
so the reconciler can tell from one labelled LIST what exists and whether it drifted.
"""

import hashlib
import json
from decimal import ROUND_CEILING, Decimal

from django.conf import settings

from apps.clusters.quantity import cpu_millicores, format_cpu, memory_bytes
from apps.spaces.choices import CLUSTER_ROLE, SpaceRole

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "k2cloud"
SPACE_LABEL = "k2cloud.io/space"
ENV_LABEL = "k2cloud.io/environment"
SPEC_HASH = "k2cloud.io/spec-hash"
QUOTA_NAME = "k2-quota"
LIMITS_NAME = "k2-limits"
NETPOL_NAME = "k2-default"
BINDING_PREFIX = "k2-"
RBAC_GROUP = "rbac.authorization.k8s.io"


def labels(space) -> dict:
    return {MANAGED_BY: MANAGER, SPACE_LABEL: space.slug}


def selector() -> str:
    return f"{MANAGED_BY}={MANAGER}"


def spec_hash(manifest: dict) -> str:
    body = json.loads(json.dumps(manifest))
    body.get("metadata", {}).get("annotations", {}).pop(SPEC_HASH, None)
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stamp(manifest: dict) -> dict:
    manifest["metadata"].setdefault("annotations", {})[SPEC_HASH] = spec_hash(manifest)
    return manifest


def _divide_cpu(limit: str, ratio) -> str:
    millis = Decimal(cpu_millicores(limit)) / Decimal(str(ratio))
    return format_cpu(max(1, int(millis.to_integral_value(rounding=ROUND_CEILING))))


def _divide_memory(limit: str, ratio) -> str:
    value = Decimal(memory_bytes(limit)) / Decimal(str(ratio))
    mebibytes = int((value / 2**20).to_integral_value(rounding=ROUND_CEILING))
    return f"{max(1, mebibytes)}Mi"


def namespace(space) -> dict:
    return _stamp(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": space.slug,
                "labels": {**labels(space), ENV_LABEL: space.environment},
                "annotations": {
                    "k2cloud.io/display-name": space.title,
                    "k2cloud.io/owner": space.owner.get_username(),
                },
            },
        }
    )


def resource_quota(space, policy: dict) -> dict:
    cpu_ratio, memory_ratio = policy["cpu_overcommit"], policy["memory_overcommit"]
    return _stamp(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": QUOTA_NAME, "namespace": space.slug, "labels": labels(space)},
            "spec": {
                "hard": {
                    "limits.cpu": space.quota_cpu,
                    "limits.memory": space.quota_memory,
                    # Requests are limits divided by the cluster's overcommit ratios.
                    "requests.cpu": _divide_cpu(space.quota_cpu, cpu_ratio),
                    "requests.memory": _divide_memory(space.quota_memory, memory_ratio),
                    "pods": str(space.quota_pods),
                    "requests.storage": space.quota_storage,
                }
            },
        }
    )


def limit_range(space, policy: dict) -> dict:
    cpu, memory = space.default_cpu_limit, space.default_memory_limit
    return _stamp(
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": LIMITS_NAME, "namespace": space.slug, "labels": labels(space)},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": cpu, "memory": memory},
                        "defaultRequest": {
                            "cpu": _divide_cpu(cpu, policy["cpu_overcommit"]),
                            "memory": _divide_memory(memory, policy["memory_overcommit"]),
                        },
                    }
                ]
            },
        }
    )


def role_bindings(space, members: list[tuple[str, str]]) -> list[dict]:
    """One RoleBinding per K2 role that has members: `members` is [(username, role)]."""
    out = []
    for role in SpaceRole:
        names = sorted(username for username, r in members if r == role)
        if not names:
            continue
        out.append(
            _stamp(
                {
                    "apiVersion": f"{RBAC_GROUP}/v1",
                    "kind": "RoleBinding",
                    "metadata": {
                        "name": f"{BINDING_PREFIX}{role.value}",
                        "namespace": space.slug,
                        "labels": {**labels(space), "k2cloud.io/role": role.value},
                    },
                    "roleRef": {
                        "apiGroup": RBAC_GROUP,
                        "kind": "ClusterRole",
                        "name": CLUSTER_ROLE[role],
                    },
                    "subjects": [
                        {"kind": "User", "apiGroup": RBAC_GROUP, "name": name} for name in names
                    ],
                }
            )
        )
    return out


def network_policy(space) -> dict:
    ingress_ns = settings.K2_SPACES_INGRESS_NAMESPACE
    return _stamp(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": NETPOL_NAME, "namespace": space.slug, "labels": labels(space)},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [{"podSelector": {}}]},
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": ingress_ns}
                                }
                            }
                        ]
                    },
                ],
            },
        }
    )


def render(space, policy: dict, members: list[tuple[str, str]]) -> list[dict]:
    """Every object of `space` on one cluster, namespace first."""
    return [
        namespace(space),
        resource_quota(space, policy),
        limit_range(space, policy),
        *role_bindings(space, members),
        network_policy(space),
    ]


def combined_hash(manifests: list[dict]) -> str:
    joined = ",".join(m["metadata"]["annotations"][SPEC_HASH] for m in manifests)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
