"""REST verbs on resources: turns HTTP requests into Api calls and Api results into the
JSON (or Table) bodies clients expect."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml
from aiohttp import web

from . import errors, protobuf, tables
from .openapi import SchemaCursor
from .patch import json_patch, merge_patch, strategic_merge
from .resources import Resource
from .selectors import label_selector_string
from .storage import dumps
from .watch import serve_watch

if TYPE_CHECKING:
    from .cluster import Cluster


USER = web.RequestKey("k2sim_user", str)
# Registries whose DELETE returns the object itself rather than a Status, as upstream.
RETURN_DELETED = {"Pod", "Service"}


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    raw = body if isinstance(body, bytes) else dumps(body)
    return web.Response(body=raw, status=status, content_type="application/json", headers=headers)


def wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


async def read_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    ct = request.headers.get("Content-Type", "application/json")
    if "protobuf" in ct:
        return protobuf.decode(raw)
    if "cbor" in ct:
        raise errors.unsupported_media(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"application/json, application/yaml (got {ct})"
        )
    try:
        body = yaml.safe_load(raw) if "yaml" in ct else json.loads(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"error decoding body: {exc}") from exc
    if not isinstance(body, dict):
        raise errors.bad_request("request body must be a JSON object")
    return body


def manager_of(request: web.Request) -> str:
    fm = request.query.get("fieldManager")
    if fm:
        return fm
    ua = request.headers.get("User-Agent", "unknown")
    return ua.split("/", 1)[0] or "unknown"


def _dry(request: web.Request) -> bool:
    return request.query.get("dryRun") == "All"


def _fv(request: web.Request) -> str:
    return request.query.get("fieldValidation", "")


def _with_warnings(cluster: Cluster) -> dict[str, str] | None:
    if not cluster.api.warnings:
        return None
    w = ", ".join(
        '299 - "' + m.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for m in cluster.api.warnings[:10]
    )
    cluster.api.warnings.clear()
    return {"Warning": w}


async def collection(
    request: web.Request, cluster: Cluster, res: Resource, ns: str | None
) -> web.StreamResponse:
    api = cluster.api
    method = request.method
    if method == "GET":
        if request.query.get("watch") in ("true", "1"):
            return await serve_watch(request, cluster, res, ns, wants_table(request))
        if res.group == "metrics.k8s.io":
            return json_response(cluster.metrics.metrics_list(res, ns))
        try:
            limit = int(request.query.get("limit") or 0)
        except ValueError as exc:
            raise errors.bad_request("invalid limit") from exc
        entries, rv, cont, remaining = api.list(
            res,
            ns,
            request.query.get("labelSelector"),
            request.query.get("fieldSelector"),
            limit,
            request.query.get("continue"),
        )
        if wants_table(request):
            return json_response(
                tables.table(
                    res.kind, [e.obj for e in entries], str(rv), res.printer_columns, cont=cont
                )
            )
        meta = b'{"resourceVersion":"' + str(rv).encode() + b'"'
        if cont:
            meta += (
                b',"continue":"'
                + cont.encode()
                + b'","remainingItemCount":'
                + str(remaining).encode()
            )
        meta += b"}"
        body = (
            b'{"kind":"'
            + res.kind.encode()
            + b'List","apiVersion":"'
            + res.api_version.encode()
            + b'","metadata":'
            + meta
            + b',"items":['
            + b",".join(e.raw for e in entries)
            + b"]}"
        )
        return json_response(body)
    if method == "POST":
        if ns is None and res.namespaced:
            raise errors.method_not_allowed("POST requires a namespace for namespaced resources")
        body = await read_body(request)
        if res.kind in (
            "SelfSubjectAccessReview",
            "SubjectAccessReview",
            "LocalSubjectAccessReview",
        ):
            body["status"] = {
                "allowed": request.get(USER) == "admin"
                or body.get("spec", {}).get("resourceAttributes", {}).get("verb")
                in ("get", "list", "watch")
            }
            return json_response(body, 201)
        if res.kind == "SelfSubjectRulesReview":
            body["status"] = {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [],
                "incomplete": False,
            }
            return json_response(body, 201)
        obj = api.create(
            res,
            ns or "",
            body,
            manager=manager_of(request),
            dry_run=_dry(request),
            field_validation=_fv(request),
        )
        return json_response(obj, 201, _with_warnings(cluster))
    if method == "DELETE":
        opts = await read_body(request)
        entries, _rv, _c, _r = api.list(
            res, ns, request.query.get("labelSelector"), request.query.get("fieldSelector")
        )
        items = []
        for e in entries:
            md = e.obj["metadata"]
            obj, _ = api.delete(
                res,
                md.get("namespace", ""),
                md["name"],
                propagation=opts.get("propagationPolicy") or request.query.get("propagationPolicy"),
                grace=_grace(request, opts),
            )
            items.append(obj)
        return json_response(
            {
                "kind": f"{res.kind}List",
                "apiVersion": res.api_version,
                "metadata": {},
                "items": items,
            }
        )
    raise errors.method_not_allowed(f"method {method} not allowed on collection")


def _grace(request: web.Request, opts: dict[str, Any]) -> int | None:
    g = opts.get("gracePeriodSeconds")
    if g is None and request.query.get("gracePeriodSeconds") is not None:
        g = int(request.query["gracePeriodSeconds"])
    return g


async def item(
    request: web.Request, cluster: Cluster, res: Resource, ns: str, name: str
) -> web.StreamResponse:
    api = cluster.api
    m = request.method
    if m == "GET":
        if res.group == "metrics.k8s.io":
            return json_response(cluster.metrics.metrics_item(res, ns, name))
        obj = api.get(res, ns, name)
        if wants_table(request):
            return json_response(
                tables.table(
                    res.kind, [obj], obj["metadata"]["resourceVersion"], res.printer_columns
                )
            )
        return json_response(obj)
    if m == "PUT":
        body = await read_body(request)
        obj = api.update(
            res,
            ns,
            name,
            body,
            manager=manager_of(request),
            dry_run=_dry(request),
            field_validation=_fv(request),
        )
        return json_response(obj, 200, _with_warnings(cluster))
    if m == "PATCH":
        raw = await request.read()
        ct = request.headers.get("Content-Type", "")
        existed = api.find(res, ns, name) is not None
        obj = api.patch(
            res,
            ns,
            name,
            raw,
            ct,
            manager=manager_of(request)
            if request.query.get("fieldManager") or "apply-patch" not in ct
            else None,
            force=request.query.get("force") in ("true", "1"),
            dry_run=_dry(request),
            field_validation=_fv(request),
        )
        return json_response(obj, 200 if existed else 201, _with_warnings(cluster))
    if m == "DELETE":
        opts = await read_body(request)
        prop = opts.get("propagationPolicy") or request.query.get("propagationPolicy")
        obj, removed = api.delete(
            res,
            ns,
            name,
            propagation=prop,
            grace=_grace(request, opts),
            preconditions=opts.get("preconditions"),
            dry_run=_dry(request),
        )
        if removed and res.kind not in RETURN_DELETED:
            md = obj["metadata"]
            return json_response(
                errors.success_status(
                    {"name": name, "group": res.group, "kind": res.plural, "uid": md.get("uid")}
                )
            )
        return json_response(obj)
    raise errors.method_not_allowed(f"method {m} not allowed")


async def status(
    request: web.Request, cluster: Cluster, res: Resource, ns: str, name: str
) -> web.StreamResponse:
    api = cluster.api
    if request.method == "GET":
        return json_response(api.get(res, ns, name))
    if request.method == "PUT":
        body = await read_body(request)
        return json_response(
            api.update(res, ns, name, body, subresource="status", manager=manager_of(request))
        )
    if request.method == "PATCH":
        raw = await request.read()
        return json_response(
            api.patch(
                res,
                ns,
                name,
                raw,
                request.headers.get("Content-Type", ""),
                subresource="status",
                manager=manager_of(request),
                force=request.query.get("force") == "true",
            )
        )
    raise errors.method_not_allowed("status supports GET, PUT and PATCH")


def _scale_of(res: Resource, obj: dict[str, Any]) -> dict[str, Any]:
    md = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": md["name"],
            "namespace": md.get("namespace"),
            "uid": md.get("uid"),
            "resourceVersion": md.get("resourceVersion"),
            "creationTimestamp": md.get("creationTimestamp"),
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": label_selector_string((obj.get("spec") or {}).get("selector")),
        },
    }


async def scale(
    request: web.Request, cluster: Cluster, res: Resource, ns: str, name: str
) -> web.StreamResponse:
    api = cluster.api
    obj = api.get(res, ns, name)
    cur = _scale_of(res, obj)
    if request.method == "GET":
        return json_response(cur)
    if request.method == "PUT":
        body = await read_body(request)
        new_scale = body
    elif request.method == "PATCH":
        raw = await request.read()
        ct = request.headers.get("Content-Type", "")
        p = yaml.safe_load(raw) if "yaml" in ct else json.loads(raw)
        if "json-patch" in ct:
            new_scale = json_patch(cur, p)
        elif "strategic" in ct:
            new_scale = strategic_merge(cur, p, SchemaCursor(None))
        else:
            new_scale = merge_patch(cur, p)
    else:
        raise errors.method_not_allowed("scale supports GET, PUT and PATCH")
    rv = (new_scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != obj["metadata"]["resourceVersion"]:
        raise errors.conflict(
            res.group,
            res.plural,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    replicas = (new_scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise errors.invalid(
            "Scale",
            name,
            [
                {
                    "reason": "FieldValueInvalid",
                    "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                    "field": "spec.replicas",
                }
            ],
            "autoscaling",
        )
    updated = api.mutate(res, ns, name, lambda o: o["spec"].__setitem__("replicas", replicas))
    return json_response(_scale_of(res, updated or obj))


async def binding(
    request: web.Request, cluster: Cluster, res: Resource, ns: str, name: str
) -> web.StreamResponse:
    body = await read_body(request)
    node = (body.get("target") or {}).get("name")
    pod = cluster.api.get(res, ns, name)
    if (pod.get("spec") or {}).get("nodeName"):
        raise errors.conflict(
            "", "pods", name, f"pod {name} is already assigned to node {pod['spec']['nodeName']!r}"
        )
    cluster.api.mutate(res, ns, name, lambda o: o["spec"].__setitem__("nodeName", node))
    return json_response(errors.success_status(), 201)


async def eviction(
    request: web.Request, cluster: Cluster, res: Resource, ns: str, name: str
) -> web.StreamResponse:
    await read_body(request)
    cluster.control.disruption.check_eviction(cluster.api.get(res, ns, name))
    cluster.api.delete(res, ns, name)
    return json_response(errors.success_status(), 201)
