"""Imperative cluster operations: the calls that are not desired state, in one module.

Desired state (every object K2Cloud renders) reaches clusters only through the reconciler
(apps/reconciler/kinds.py, server-side apply). What is here are reads and one-off acts:
the live status page's reads, the quota usage read, reading a Deployment to adopt it and
claiming it for K2Cloud, deleting a deleted space's namespace. Every call goes through
apps/clusters/gateway.py (timeouts, retries, the per-cluster bound).
"""

from __future__ import annotations

from apps.clusters import gateway
from apps.clusters.gateway import GatewayError, Kind

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "k2cloud"


def _ignoring_missing(cluster, operation: str, fn) -> None:
    try:
        gateway.call(cluster, operation, fn, idempotent=True)
    except GatewayError as exc:
        if exc.kind != Kind.NOT_FOUND:
            raise


# --- namespaces ------------------------------------------------------------------------------
def read_namespace(cluster, name: str):
    """The namespace (typed object), or None when there is none."""
    try:
        return gateway.call(cluster, "read_namespace", lambda c: c.core.read_namespace(name))
    except GatewayError as exc:
        if exc.kind == Kind.NOT_FOUND:
            return None
        raise


def delete_namespace(cluster, name: str) -> bool:
    """Ask for the namespace's deletion; True once it is gone. A namespace K2Cloud did not
    create is never deleted (the space just forgets it): True as well."""
    existing = read_namespace(cluster, name)
    if existing is None:
        return True
    labels = (existing.metadata.labels or {}) if existing.metadata else {}
    if labels.get(MANAGED_BY) != MANAGER:
        return True
    if not existing.metadata.deletion_timestamp:
        _ignoring_missing(cluster, "delete_namespace", lambda c: c.core.delete_namespace(name))
    return read_namespace(cluster, name) is None


def quota_usage(cluster, namespace: str, quota_name: str) -> dict:
    """{"hard": {...}, "used": {...}} from a ResourceQuota's status."""
    quota = gateway.call(
        cluster,
        "read_resource_quota",
        lambda c: c.core.read_namespaced_resource_quota(quota_name, namespace),
    )
    status = quota.status
    return {
        "hard": dict((status.hard if status else None) or {}),
        "used": dict((status.used if status else None) or {}),
    }


# --- apps ------------------------------------------------------------------------------------
def read_deployment(cluster, namespace: str, name: str):
    return gateway.call(
        cluster, "read_deployment", lambda c: c.apps.read_namespaced_deployment(name, namespace)
    )


def claim_deployment(cluster, namespace: str, name: str, labels: dict[str, str]) -> None:
    """Label an adopted Deployment as K2Cloud's (a merge patch of its labels only), so the
    reconciler's next pass takes it over instead of refusing to touch an unmanaged object."""
    body = {"metadata": {"labels": labels}}
    gateway.call(
        cluster,
        "claim_deployment",
        lambda c: c.apps.patch_namespaced_deployment(name, namespace, body),
        idempotent=True,
    )


_STATUS_LISTS = {
    "deployments": ("apps", "list_namespaced_deployment"),
    "statefulsets": ("apps", "list_namespaced_stateful_set"),
    "jobs": ("batch", "list_namespaced_job"),
    "cronjobs": ("batch", "list_namespaced_cron_job"),
    "pods": ("core", "list_namespaced_pod"),
}


def read_app_objects(cluster, namespace: str, selector: str, kinds: tuple[str, ...]) -> dict:
    """The workloads of `kinds` (keys of _STATUS_LISTS) and pods matching `selector`, and
    the namespace's recent events: one LIST each (the live status page)."""
    out = {}
    for key in (*kinds, "pods"):
        api, method = _STATUS_LISTS[key]
        out[key] = gateway.call(
            cluster,
            f"status_{key}",
            lambda c, a=api, m=method: getattr(getattr(c, a), m)(
                namespace, label_selector=selector
            ),
        ).items
    out["events"] = gateway.call(
        cluster, "status_events", lambda c: c.core.list_namespaced_event(namespace, limit=500)
    ).items
    return out
