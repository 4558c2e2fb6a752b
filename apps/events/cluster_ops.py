"""The event center's cluster calls, all through the gateway: LIST and WATCH of core/v1
Events and Pods across namespaces, and the cluster's Prometheus text at /metrics."""

from __future__ import annotations

import json

from django.conf import settings

from apps.clusters import gateway

RESOURCES = {
    "events": "list_event_for_all_namespaces",
    "pods": "list_pod_for_all_namespaces",
}


def _read_json(response) -> dict:
    try:
        return json.loads(response.data)
    finally:
        response.release_conn()


def list_all(cluster, resource: str) -> tuple[list[dict], str]:
    """Every object of `resource` in every namespace, all pages; (items, resourceVersion)."""
    method = RESOURCES[resource]
    items: list[dict] = []
    token = None
    while True:
        kwargs: dict = {"limit": settings.K2_EVENTS_LIST_PAGE_SIZE, "_preload_content": False}
        if token:
            kwargs["_continue"] = token
        body = gateway.call(cluster, f"events_list_{resource}",
                            lambda c, kw=kwargs: _read_json(getattr(c.core, method)(**kw)))  # fmt: skip
        items.extend(body.get("items") or [])
        meta = body.get("metadata") or {}
        token = meta.get("continue")
        if not token:
            return items, meta.get("resourceVersion") or ""


def watch(cluster, resource: str, version: str, timeout: int):
    """The raw WATCH response of `resource` from `version` (bookmarks asked for)."""
    method = RESOURCES[resource]
    connect = settings.K2_CLUSTER_CONNECT_TIMEOUT
    return gateway.call(cluster, f"events_watch_{resource}", lambda c: getattr(c.core, method)(
        watch=True, resource_version=version, allow_watch_bookmarks=True,
        timeout_seconds=timeout, _preload_content=False, _request_timeout=(connect, timeout + 10),
    ))  # fmt: skip


def read_metrics_text(cluster) -> str:
    """The cluster's Prometheus text at /metrics (k2sim serves cAdvisor's memory series
    there; a real cluster's Prometheus answers the same query, docs/events.md)."""

    def fetch(clients) -> str:
        return gateway.request_bytes(clients, "GET", "/metrics", accept="text/plain").decode(
            "utf-8", "replace"
        )

    return gateway.call(cluster, "events_metrics", fetch)
