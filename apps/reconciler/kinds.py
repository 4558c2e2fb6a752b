"""The kinds K2Cloud manages and how to LIST, apply and delete them through the gateway.

Lists are read raw (`_preload_content=False` + json.loads): building the client's typed
models for thousands of objects costs seconds, the JSON costs milliseconds.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings

from apps.clusters import gateway
from apps.clusters.gateway import GatewayError, Kind

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "k2cloud"
SPACE_LABEL = "k2cloud.io/space"
APP_LABEL = "k2cloud.io/app"
SPEC_HASH = "k2cloud.io/spec-hash"
SELECTOR = f"{MANAGED_BY}={MANAGER}"
UNMANAGED_SELECTOR = f"{MANAGED_BY}!={MANAGER}"
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
APPLY = {"field_manager": MANAGER, "force": True, "_content_type": APPLY_CONTENT_TYPE}
# Backup verification's dry runs (apps/backups/verify.py) apply as their own manager.
VERIFY_MANAGER = "k2cloud-backup-verify"


@dataclass(frozen=True)
class KindInfo:
    kind: str
    api_version: str
    api: str  # attribute of gateway.Clients
    suffix: str  # the typed client's method suffix
    namespaced: bool = True
    space_owned: bool = False  # rendered by the spaces app (else by the apps app)
    # Only the cluster's log collection renders it (apps/workloads/rendering/collection.py).
    collection_only: bool = False


# Apply order: the namespace first, what others refer to before them.
KINDS: tuple[KindInfo, ...] = (
    KindInfo("Namespace", "v1", "core", "namespace", namespaced=False, space_owned=True),
    KindInfo("ResourceQuota", "v1", "core", "resource_quota", space_owned=True),
    KindInfo("LimitRange", "v1", "core", "limit_range", space_owned=True),
    KindInfo(
        "RoleBinding", "rbac.authorization.k8s.io/v1", "rbac", "role_binding", space_owned=True
    ),  # fmt: skip
    KindInfo(
        "NetworkPolicy", "networking.k8s.io/v1", "networking", "network_policy", space_owned=True
    ),  # fmt: skip
    KindInfo("ServiceAccount", "v1", "core", "service_account", collection_only=True),
    KindInfo(
        "ClusterRole",
        "rbac.authorization.k8s.io/v1",
        "rbac",
        "cluster_role",
        namespaced=False,
        collection_only=True,
    ),  # fmt: skip
    KindInfo(
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io/v1",
        "rbac",
        "cluster_role_binding",
        namespaced=False,
        collection_only=True,
    ),  # fmt: skip
    KindInfo("ConfigMap", "v1", "core", "config_map"),
    KindInfo("Service", "v1", "core", "service"),
    KindInfo("Deployment", "apps/v1", "apps", "deployment"),
    KindInfo("DaemonSet", "apps/v1", "apps", "daemon_set", collection_only=True),
    KindInfo("StatefulSet", "apps/v1", "apps", "stateful_set"),
    KindInfo("Job", "batch/v1", "batch", "job"),
    KindInfo("CronJob", "batch/v1", "batch", "cron_job"),
    KindInfo("Ingress", "networking.k8s.io/v1", "networking", "ingress"),
)
BY_KIND = {k.kind: k for k in KINDS}
# What each kind of app renders (apps.workloads.rendering): a targeted pass of one app
# lists only these (the kind of an app never changes; full passes list everything).
KINDS_OF_APP = {
    "service": ("ConfigMap", "Service", "Deployment", "Ingress"),
    "stateful": ("ConfigMap", "Service", "StatefulSet", "Ingress"),
    "job": ("ConfigMap", "Job"),
    "cronjob": ("ConfigMap", "CronJob"),
}
# The kind whose status tells how an app's rollout goes (what a follow-up look lists).
WORKLOAD_OF_APP = {"service": "Deployment", "stateful": "StatefulSet", "job": "Job",
                   "cronjob": "CronJob"}  # fmt: skip
ORDER = {k.kind: i for i, k in enumerate(KINDS)}
SPACE_KINDS = tuple(k for k in KINDS if k.space_owned)
APP_KINDS = tuple(k for k in KINDS if not k.space_owned and not k.collection_only)
# What the log collection of a cluster renders (its targeted pass lists only these).
COLLECTION_KINDS = tuple(k for k in KINDS if k.collection_only or k.kind == "ConfigMap")

Key = tuple[str, str, str]  # (kind, namespace, name); namespace "" for cluster-scoped


def key_of(obj: dict) -> Key:
    meta = obj.get("metadata") or {}
    return (obj["kind"], meta.get("namespace") or "", meta["name"])


@dataclass
class Calls:
    """Cluster API calls of one pass, by verb, plus the HTTP attempts behind them."""

    by_verb: Counter = field(default_factory=Counter)
    stats: gateway.CallStats = field(default_factory=gateway.CallStats)

    def as_dict(self) -> dict:
        return {**dict(self.by_verb), "requests": self.stats.attempts}


def _page_size() -> int:
    return settings.K2_RECONCILE_LIST_PAGE_SIZE


def _list_method(clients, info: KindInfo):
    api = getattr(clients, info.api)
    if info.namespaced:
        return getattr(api, f"list_{info.suffix}_for_all_namespaces")
    return getattr(api, f"list_{info.suffix}")


def _read_json(response) -> dict:
    try:
        return json.loads(response.data)
    finally:
        response.release_conn()


def list_objects(
    cluster, info: KindInfo, *, label_selector: str = SELECTOR, field_selector: str = "",
    calls: Calls | None = None,
) -> tuple[list[dict], str]:  # fmt: skip
    """Every object of a kind matching the selectors, all pages; (items, resourceVersion).

    One LIST call per page (`K2_RECONCILE_LIST_PAGE_SIZE`, default 5000). Raises
    GatewayError when any page fails: a partial list is never returned.
    """
    calls = calls or Calls()
    items: list[dict] = []
    token = None
    while True:
        kwargs = {"label_selector": label_selector, "limit": _page_size(),
                  "_preload_content": False}  # fmt: skip
        if field_selector:
            kwargs["field_selector"] = field_selector
        if token:
            kwargs["_continue"] = token
        calls.by_verb["list"] += 1
        body = gateway.call(
            cluster,
            f"reconcile_list_{info.kind.lower()}",
            lambda c, kw=kwargs: _read_json(_list_method(c, info)(**kw)),
            stats=calls.stats,
        )
        for item in body.get("items") or []:
            item.setdefault("kind", info.kind)
            item.setdefault("apiVersion", info.api_version)
            items.append(item)
        meta = body.get("metadata") or {}
        token = meta.get("continue")
        if not token:
            return items, meta.get("resourceVersion", "")


def watch_stream(cluster, info: KindInfo, resource_version: str, timeout: int):
    """Open a WATCH of the kind's managed objects from `resource_version`; the raw response
    (newline-delimited JSON events). Only the opening goes through a gateway slot."""
    connect = settings.K2_CLUSTER_CONNECT_TIMEOUT
    return gateway.call(
        cluster,
        f"reconcile_watch_{info.kind.lower()}",
        lambda c: _list_method(c, info)(
            label_selector=SELECTOR, watch=True, resource_version=resource_version,
            allow_watch_bookmarks=True, timeout_seconds=timeout, _preload_content=False,
            _request_timeout=(connect, timeout + 10),
        ),
    )  # fmt: skip


def _drain(response) -> None:
    """Read the body so the connection goes back to the pool (we never need the object)."""
    response.data  # noqa: B018 - reading releases the connection
    response.release_conn()


def _patch(clients, info: KindInfo, manifest: dict) -> None:
    meta = manifest["metadata"]
    api = getattr(clients, info.api)
    if info.namespaced:
        method = getattr(api, f"patch_namespaced_{info.suffix}")
        _drain(method(meta["name"], meta["namespace"], manifest, _preload_content=False, **APPLY))
    else:
        _drain(getattr(api, f"patch_{info.suffix}")(
            meta["name"], manifest, _preload_content=False, **APPLY
        ))  # fmt: skip


def _delete(clients, info: KindInfo, namespace: str, name: str) -> None:
    api = getattr(clients, info.api)
    kwargs = {"propagation_policy": "Background", "_preload_content": False}
    if info.namespaced:
        _drain(getattr(api, f"delete_namespaced_{info.suffix}")(name, namespace, **kwargs))
    else:
        _drain(getattr(api, f"delete_{info.suffix}")(name, **kwargs))


def apply(cluster, manifest: dict, *, calls: Calls | None = None) -> None:
    """Server-side apply (field manager "k2cloud", force). A changed Job (immutable pod
    template) is deleted and applied again."""
    calls = calls or Calls()
    info = BY_KIND[manifest["kind"]]
    calls.by_verb["apply"] += 1
    try:
        gateway.call(cluster, f"reconcile_apply_{info.kind.lower()}",
                     lambda c: _patch(c, info, manifest), stats=calls.stats)  # fmt: skip
    except GatewayError as exc:
        if info.kind != "Job" or exc.kind != Kind.INVALID:
            raise
        meta = manifest["metadata"]
        delete(cluster, info.kind, meta["namespace"], meta["name"], calls=calls)
        calls.by_verb["apply"] += 1
        gateway.call(cluster, "reconcile_apply_job", lambda c: _patch(c, info, manifest),
                     stats=calls.stats)  # fmt: skip


def delete(cluster, kind: str, namespace: str, name: str, *, calls: Calls | None = None) -> None:
    """Delete one object (already gone is fine)."""
    calls = calls or Calls()
    info = BY_KIND[kind]
    calls.by_verb["delete"] += 1
    try:
        gateway.call(cluster, f"reconcile_delete_{kind.lower()}",
                     lambda c: _delete(c, info, namespace, name), stats=calls.stats)  # fmt: skip
    except GatewayError as exc:
        if exc.kind != Kind.NOT_FOUND:
            raise


def dry_run_apply(cluster, path: str, body: dict, *, operation: str) -> None:
    """Server-side apply `body` at URL `path` with dryRun=All (manager VERIFY_MANAGER,
    force): any kind, validated and admitted by the cluster, nothing written. GatewayError
    with the cluster's message when it refuses the object."""
    query = [("dryRun", "All"), ("fieldManager", VERIFY_MANAGER), ("force", "true")]
    gateway.call(
        cluster, operation,
        lambda c: gateway.request_json(c, "PATCH", path, query=query, body=body,
                                       content_type=APPLY_CONTENT_TYPE),
        idempotent=True,  # a dry run writes nothing, so resending it is harmless
    )  # fmt: skip
