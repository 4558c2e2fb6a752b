"""The cluster calls of registry retention, in one module: paged LISTs (every namespace)
of pods and of the workload kinds whose specs name images, through `gateway.call`
(timeouts, retries, the per-cluster bound, the breaker), as raw JSON."""

from __future__ import annotations

from django.conf import settings

from apps.clusters import gateway

PATHS = {
    "pods": "/api/v1/pods",
    "deployments": "/apis/apps/v1/deployments",
    "statefulsets": "/apis/apps/v1/statefulsets",
    "daemonsets": "/apis/apps/v1/daemonsets",
    "jobs": "/apis/batch/v1/jobs",
    "cronjobs": "/apis/batch/v1/cronjobs",
}


def list_all(cluster, kind: str, *, stats=None) -> list[dict]:
    """Every object of `kind`, all pages; GatewayError when a page fails (a partial list
    would make a running image look unused)."""
    items: list[dict] = []
    token = ""
    while True:
        query: list = [("limit", settings.K2_RECONCILE_LIST_PAGE_SIZE)]
        if token:
            query.append(("continue", token))
        body = gateway.call(
            cluster, f"registries_list_{kind}",
            lambda c, q=query: gateway.request_json(c, "GET", PATHS[kind], query=q), stats=stats,
        )  # fmt: skip
        items.extend(body.get("items") or [])
        token = (body.get("metadata") or {}).get("continue") or ""
        if not token:
            return items
