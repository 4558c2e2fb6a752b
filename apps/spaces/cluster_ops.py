"""What the spaces app asks of clusters, always through apps/clusters/gateway.py.

Writes are server-side applies with field manager "k2cloud" (force: K2 owns these
objects), so running them twice changes nothing the second time.
"""

from django.utils.translation import gettext as _

from apps.clusters import gateway
from apps.clusters.gateway import GatewayError, Kind
from apps.spaces import manifests as m

APPLY = {"field_manager": m.MANAGER, "force": True, "_content_type": "application/apply-patch+yaml"}


class NotOurs(Exception):
    """The namespace exists in the cluster but K2Cloud did not create it."""


def _apply_one(clients, manifest: dict):
    kind, meta = manifest["kind"], manifest["metadata"]
    name, namespace = meta["name"], meta.get("namespace")
    if kind == "Namespace":
        return clients.core.patch_namespace(name, manifest, **APPLY)
    if kind == "ResourceQuota":
        return clients.core.patch_namespaced_resource_quota(name, namespace, manifest, **APPLY)
    if kind == "LimitRange":
        return clients.core.patch_namespaced_limit_range(name, namespace, manifest, **APPLY)
    if kind == "RoleBinding":
        return clients.rbac.patch_namespaced_role_binding(name, namespace, manifest, **APPLY)
    if kind == "NetworkPolicy":
        return clients.networking.patch_namespaced_network_policy(
            name, namespace, manifest, **APPLY
        )
    raise ValueError(f"no apply for kind {kind}")


def _read_namespace(cluster, name: str):
    try:
        return gateway.call(cluster, "read_namespace", lambda c: c.core.read_namespace(name))
    except GatewayError as exc:
        if exc.kind == Kind.NOT_FOUND:
            return None
        raise


def apply_space(cluster, manifests: list[dict]) -> None:
    """Create or update every object of a space on `cluster`, then drop stale RoleBindings.

    Raises NotOurs when a namespace of that name exists without K2's label, GatewayError
    when the cluster fails.
    """
    ns_manifest = manifests[0]
    name = ns_manifest["metadata"]["name"]
    existing = _read_namespace(cluster, name)
    if existing is not None:
        labels = (existing.metadata.labels or {}) if existing.metadata else {}
        if labels.get(m.MANAGED_BY) != m.MANAGER or labels.get(m.SPACE_LABEL) != name:
            raise NotOurs(
                _(
                    "Namespace %(ns)s already exists on cluster %(cluster)s and is not managed "
                    "by K2Cloud; choose another name or ask a platform admin."
                )
                % {"ns": name, "cluster": cluster.name}
            )
        if existing.metadata.deletion_timestamp:
            raise GatewayError(
                Kind.CONFLICT,
                _("Namespace %(ns)s on cluster %(cluster)s is still being deleted; retry later.")
                % {"ns": name, "cluster": cluster.name},
            )
    for manifest in manifests:
        gateway.call(
            cluster,
            f"apply_{manifest['kind'].lower()}",
            lambda c, man=manifest: _apply_one(c, man),
            idempotent=True,
        )
    wanted = {x["metadata"]["name"] for x in manifests if x["kind"] == "RoleBinding"}
    current = gateway.call(
        cluster,
        "list_role_bindings",
        lambda c: c.rbac.list_namespaced_role_binding(name, label_selector=m.selector()),
    )
    for binding in current.items:
        stale = binding.metadata.name
        if stale.startswith(m.BINDING_PREFIX) and stale not in wanted:
            _delete_ignoring_missing(
                cluster,
                "delete_role_binding",
                lambda c, n=stale: c.rbac.delete_namespaced_role_binding(n, name),
            )


def _delete_ignoring_missing(cluster, operation: str, fn) -> None:
    try:
        gateway.call(cluster, operation, fn, idempotent=True)
    except GatewayError as exc:
        if exc.kind != Kind.NOT_FOUND:
            raise


def delete_namespace(cluster, name: str) -> bool:
    """Ask for the namespace's deletion; True once it is gone (ours only)."""
    existing = _read_namespace(cluster, name)
    if existing is None:
        return True
    labels = (existing.metadata.labels or {}) if existing.metadata else {}
    if labels.get(m.MANAGED_BY) != m.MANAGER:
        # Never delete what K2 did not create; the space forgets it.
        return True
    if not existing.metadata.deletion_timestamp:
        _delete_ignoring_missing(
            cluster, "delete_namespace", lambda c: c.core.delete_namespace(name)
        )
    return _read_namespace(cluster, name) is None


def quota_usage(cluster, namespace: str) -> dict:
    """{"hard": {...}, "used": {...}} from the space's ResourceQuota status."""
    quota = gateway.call(
        cluster,
        "read_resource_quota",
        lambda c: c.core.read_namespaced_resource_quota(m.QUOTA_NAME, namespace),
    )
    status = quota.status
    return {
        "hard": dict((status.hard if status else None) or {}),
        "used": dict((status.used if status else None) or {}),
    }
