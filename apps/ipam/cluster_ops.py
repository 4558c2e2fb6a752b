"""The cluster calls of IPAM cleanup, in one module: paged LISTs of Calico's kinds, pods
and nodes, the fresh GET of a pod, and the conditional writes of a release.

Everything goes through `gateway.call` (timeouts, retries, the per-cluster bound, the
breaker) by URL path with raw JSON bodies: typed models of 5,000 pods cost seconds, and
the typed client knows nothing of crd.projectcalico.org. LISTs carry no resourceVersion,
so the API server answers from etcd (a quorum read), never from a watch cache — the
stale view that made kube-controllers free live pods' IPs (calico#5044).

Writes are conditional: the object's resourceVersion travels in the PUT body and in the
DELETE preconditions; a 409 reaches the caller as GatewayError(kind=conflict), which
re-reads and re-decides (apps/ipam/release.py). Nothing here forces a write.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

from apps.clusters import gateway
from apps.clusters.gateway import CallStats, GatewayError, Kind

CALICO = "/apis/crd.projectcalico.org/v1"
PATHS = {
    "ippools": f"{CALICO}/ippools",
    "ipamblocks": f"{CALICO}/ipamblocks",
    "ipamhandles": f"{CALICO}/ipamhandles",
    "blockaffinities": f"{CALICO}/blockaffinities",
    "pods": "/api/v1/pods",
    "nodes": "/api/v1/nodes",
}


def _call(cluster, operation: str, method: str, path: str, *, stats: CallStats | None,
          query: list | None = None, body: dict | None = None, idempotent: bool = True) -> dict:  # fmt: skip
    return gateway.call(
        cluster, operation,
        lambda c: gateway.request_json(c, method, path, query=query, body=body,
                                       content_type="application/json" if body else ""),
        idempotent=idempotent, stats=stats,
    )  # fmt: skip


def list_all(cluster, kind: str, *, stats: CallStats | None = None) -> list[dict]:
    """Every object of `kind` (a key of PATHS), all pages; GatewayError when a page fails
    (a partial list would make live pods look gone)."""
    items: list[dict] = []
    token = ""
    while True:
        query: list = [("limit", settings.K2_IPAM_LIST_PAGE_SIZE)]
        if token:
            query.append(("continue", token))
        body = _call(cluster, f"ipam_list_{kind}", "GET", PATHS[kind], stats=stats, query=query)
        items.extend(body.get("items") or [])
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


def _get_or_none(cluster, operation: str, path: str, stats: CallStats | None) -> dict | None:
    try:
        return _call(cluster, operation, "GET", path, stats=stats)
    except GatewayError as exc:
        if exc.kind == Kind.NOT_FOUND:
            return None
        raise


def get_pod(cluster, namespace: str, name: str, *, stats: CallStats | None = None) -> dict | None:
    """The pod as the API server has it now (None: gone)."""
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}"
    return _get_or_none(cluster, "ipam_get_pod", path, stats)


def get_block(cluster, name: str, *, stats: CallStats | None = None) -> dict | None:
    return _get_or_none(
        cluster, "ipam_get_block", f"{PATHS['ipamblocks']}/{quote(name, safe='')}", stats
    )


def get_handle(cluster, name: str, *, stats: CallStats | None = None) -> dict | None:
    return _get_or_none(
        cluster, "ipam_get_handle", f"{PATHS['ipamhandles']}/{quote(name, safe='')}", stats
    )


def replace_block(cluster, block: dict, *, stats: CallStats | None = None) -> dict:
    """PUT the block with its resourceVersion (409 when someone wrote it meanwhile)."""
    name = quote(block["metadata"]["name"], safe="")
    return _call(cluster, "ipam_update_block", "PUT", f"{PATHS['ipamblocks']}/{name}",
                 stats=stats, body=block, idempotent=False)  # fmt: skip


def replace_handle(cluster, handle: dict, *, stats: CallStats | None = None) -> dict:
    name = quote(handle["metadata"]["name"], safe="")
    return _call(cluster, "ipam_update_handle", "PUT", f"{PATHS['ipamhandles']}/{name}",
                 stats=stats, body=handle, idempotent=False)  # fmt: skip


def delete_handle(cluster, handle: dict, *, stats: CallStats | None = None) -> None:
    """DELETE the handle only if it is still the version read (preconditions); gone is fine."""
    md = handle["metadata"]
    pre = {k: md[k] for k in ("resourceVersion", "uid") if md.get(k)}
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": pre}
    try:
        _call(cluster, "ipam_delete_handle", "DELETE",
              f"{PATHS['ipamhandles']}/{quote(md['name'], safe='')}", stats=stats, body=body,
              idempotent=False)  # fmt: skip
    except GatewayError as exc:
        if exc.kind != Kind.NOT_FOUND:
            raise
