"""What the apps abstraction asks of clusters, always through apps/clusters/gateway.py.

Writes are server-side applies with field manager "k2cloud" (force: K2 owns these
objects), so applying twice changes nothing the second time. Objects K2 rendered for an
app carry its labels, so one label-selected LIST per kind finds the stale ones.
"""

from apps.clusters import gateway
from apps.clusters.gateway import GatewayError, Kind
from apps.workloads.rendering import APP_LABEL, MANAGED_BY, MANAGER

FIELD_MANAGER = MANAGER
APPLY = {
    "field_manager": FIELD_MANAGER,
    "force": True,
    "_content_type": "application/apply-patch+yaml",
}

# kind -> (typed API attribute on gateway.Clients, method suffix)
_KINDS = {
    "ConfigMap": ("core", "config_map"),
    "Service": ("core", "service"),
    "Deployment": ("apps", "deployment"),
    "StatefulSet": ("apps", "stateful_set"),
    "Job": ("batch", "job"),
    "CronJob": ("batch", "cron_job"),
    "Ingress": ("networking", "ingress"),
}
# Kinds whose pods or children must go with them on delete.
_BACKGROUND = {"propagation_policy": "Background"}


def app_selector(app_name: str) -> str:
    return f"{MANAGED_BY}={MANAGER},{APP_LABEL}={app_name}"


def _method(clients, verb: str, kind: str):
    api, suffix = _KINDS[kind]
    return getattr(getattr(clients, api), f"{verb}_namespaced_{suffix}")


def apply_manifest(cluster, manifest: dict) -> None:
    kind, meta = manifest["kind"], manifest["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    try:
        gateway.call(
            cluster,
            f"apply_{kind.lower()}",
            lambda c: _method(c, "patch", kind)(name, namespace, manifest, **APPLY),
            idempotent=True,
        )
    except GatewayError as exc:
        # A Job's pod template is immutable: a changed Job is replaced, not updated.
        if kind != "Job" or exc.kind != Kind.INVALID:
            raise
        delete_object(cluster, kind, name, namespace)
        gateway.call(
            cluster,
            "apply_job",
            lambda c: _method(c, "patch", kind)(name, namespace, manifest, **APPLY),
            idempotent=True,
        )


def delete_object(cluster, kind: str, name: str, namespace: str) -> None:
    try:
        gateway.call(
            cluster,
            f"delete_{kind.lower()}",
            lambda c: _method(c, "delete", kind)(name, namespace, **_BACKGROUND),
            idempotent=True,
        )
    except GatewayError as exc:
        if exc.kind != Kind.NOT_FOUND:
            raise


def list_managed(cluster, namespace: str, app_name: str) -> list[tuple[str, str]]:
    """(kind, name) of every object K2 manages for the app in the namespace."""
    found = []
    selector = app_selector(app_name)
    for kind in _KINDS:
        result = gateway.call(
            cluster,
            f"list_{kind.lower()}",
            lambda c, k=kind: _method(c, "list", k)(namespace, label_selector=selector),
        )
        found += [(kind, item.metadata.name) for item in result.items]
    return found


def sync(cluster, namespace: str, app_name: str, manifests: list[dict]) -> dict:
    """Apply the manifests, then delete the app's objects that are no longer rendered.

    Returns {"applied": n, "deleted": [(kind, name)]}; GatewayError on failure.
    """
    for manifest in manifests:
        apply_manifest(cluster, manifest)
    wanted = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    stale = [obj for obj in list_managed(cluster, namespace, app_name) if obj not in wanted]
    for kind, name in stale:
        delete_object(cluster, kind, name, namespace)
    return {"applied": len(manifests), "deleted": stale}


def remove_app(cluster, namespace: str, app_name: str) -> list[tuple[str, str]]:
    """Delete every object of the app on the cluster (missing namespace: nothing to do)."""
    try:
        objects = list_managed(cluster, namespace, app_name)
    except GatewayError as exc:
        if exc.kind == Kind.NOT_FOUND:
            return []
        raise
    for kind, name in objects:
        delete_object(cluster, kind, name, namespace)
    return objects


def read_deployment(cluster, namespace: str, name: str):
    return gateway.call(
        cluster, "read_deployment", lambda c: c.apps.read_namespaced_deployment(name, namespace)
    )


_STATUS_LISTS = {
    "deployments": ("apps", "list_namespaced_deployment"),
    "statefulsets": ("apps", "list_namespaced_stateful_set"),
    "jobs": ("batch", "list_namespaced_job"),
    "cronjobs": ("batch", "list_namespaced_cron_job"),
    "pods": ("core", "list_namespaced_pod"),
}


def read_app_objects(cluster, namespace: str, app_name: str, kinds: tuple[str, ...]) -> dict:
    """The app's workloads of `kinds` (keys of _STATUS_LISTS), its pods and the namespace's
    recent events: one LIST each."""
    selector = f"{APP_LABEL}={app_name}"
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
