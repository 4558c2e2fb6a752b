"""The cluster calls of backups and restore, in one module of imperative operations:
discovery, a LIST of any namespaced kind, the server-side apply dry run verification asks
for, and the create of an object people made by hand (restore).

None of this is desired state (the reconciler alone writes that, apps/reconciler/kinds.py):
a backup reads every kind a cluster serves, including ones K2Cloud knows nothing about,
so the calls go by URL path (the typed client only knows built-in kinds) through
`gateway.call` (timeouts, retries, the per-cluster bound, the breaker). Bodies are read
as raw JSON: typed models of thousands of objects would cost seconds and drop fields of
kinds the client does not know.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

from apps.backups.manifest_rules import KindRef, backed_up_kinds
from apps.clusters import gateway
from apps.reconciler import kinds


def _get(cluster, operation: str, path: str, query: list | None = None) -> dict:
    return gateway.call(
        cluster, operation, lambda c: gateway.request_json(c, "GET", path, query=query)
    )


def discover_kinds(cluster) -> list[KindRef]:
    """Every namespaced kind the cluster lets us list and create, at its preferred version
    (like `kubectl api-resources --namespaced --verbs=list`), minus regenerated kinds."""
    lists = [_get(cluster, "backup_discovery", "/api/v1")]
    groups = _get(cluster, "backup_discovery", "/apis")
    for group in groups.get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("groupVersion")
        if preferred:
            lists.append(_get(cluster, "backup_discovery", f"/apis/{preferred}"))
    return backed_up_kinds(lists)


def list_namespaced(cluster, kind: KindRef, namespace: str) -> list[dict]:
    """Every object of `kind` in `namespace`, all pages (never a partial list: GatewayError
    when a page fails), each with its apiVersion and kind filled in."""
    items: list[dict] = []
    token = ""
    path = kind.collection_path(namespace)
    while True:
        query: list = [("limit", settings.K2_RECONCILE_LIST_PAGE_SIZE)]
        if token:
            query.append(("continue", token))
        body = _get(cluster, f"backup_list_{kind.kind.lower()}", path, query)
        for item in body.get("items") or []:
            item.setdefault("apiVersion", kind.api_version)
            item.setdefault("kind", kind.kind)
            items.append(item)
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


def dry_run_apply(cluster, kind: KindRef, namespace: str, obj: dict) -> None:
    """Server-side apply `obj` into `namespace` with dryRun=All (the reconciler's apply
    module does it, apps/reconciler/kinds.py): the cluster validates and admits it,
    writes nothing. Raises GatewayError with the cluster's message when it refuses."""
    body = {**obj, "metadata": {**(obj.get("metadata") or {}), "namespace": namespace}}
    path = kind.object_path(namespace, quote(body["metadata"]["name"], safe=""))
    kinds.dry_run_apply(cluster, path, body, operation=f"backup_verify_{kind.kind.lower()}")


def create_object(cluster, kind: KindRef, namespace: str, obj: dict) -> bool:
    """Create `obj` in `namespace` (a restore of an object people made by hand); False when
    an object of that name is there already (left as it is). Other refusals raise
    GatewayError with the cluster's message."""
    body = {**obj, "metadata": {**(obj.get("metadata") or {}), "namespace": namespace}}
    body["metadata"].pop("ownerReferences", None)  # their uids died with the old objects
    try:
        gateway.call(
            cluster, f"backup_restore_{kind.kind.lower()}",
            lambda c: gateway.request_json(c, "POST", kind.collection_path(namespace), body=body,
                               content_type="application/json"),
        )  # fmt: skip
    except gateway.GatewayError as exc:
        if exc.status == 409:
            return False
        raise
    return True
