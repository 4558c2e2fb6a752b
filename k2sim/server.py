"""The HTTPS front of one virtual cluster: authentication, fault injection, discovery,
OpenAPI and routing of resource paths to the REST handlers."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import discovery, errors, rest
from .faults import ERROR_BODIES
from .openapi import builtin_paths, doc_hash

if TYPE_CHECKING:
    from .cluster import Cluster

log = logging.getLogger("k2sim")
CLUSTER = web.AppKey("k2sim_cluster", object)
PUBLIC = {"/version", "/healthz", "/readyz", "/livez"}
READ_VERBS = {"GET", "HEAD", "OPTIONS"}
VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4-k2sim",
    "gitCommit": "k2sim",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def status_response(err: errors.ApiError) -> web.Response:
    return web.Response(
        body=json.dumps(err.status()).encode(),
        status=err.code,
        content_type="application/json",
        headers=err.headers,
    )


def make_app(cluster: Cluster) -> web.Application:
    @web.middleware
    async def faults_mw(request: web.Request, handler: Any) -> web.StreamResponse:
        f = cluster.faults
        if request.path.startswith("/k2sim/"):
            return await handler(request)
        if f.refuse_connections and request.transport is not None:
            request.transport.abort()
            raise ConnectionResetError("refusing connections (fault injection)")
        if f.latency_ms:
            await asyncio.sleep(f.latency_ms / 1000)
        code = f.pick_error()
        if code:
            reason, msg = ERROR_BODIES[code]
            err = errors.ApiError(code, reason, msg)
            if code == 429:
                err.headers["Retry-After"] = "1"
            return status_response(err)
        return await handler(request)

    @web.middleware
    async def auth_mw(request: web.Request, handler: Any) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        user = cluster.user_for(token)
        request[rest.USER] = user
        if user is None and request.path not in PUBLIC:
            return status_response(errors.ApiError(401, "Unauthorized", "Unauthorized"))
        writes = request.method not in READ_VERBS and not request.path.endswith(
            ("selfsubjectaccessreviews", "selfsubjectrulesreviews")
        )
        if user == "readonly" and (writes or request.path.endswith("/exec")):
            verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
                request.method, request.method.lower()
            )
            if request.path.endswith("/exec"):
                verb = "create"
            return status_response(
                errors.forbidden(
                    f'User "k2sim:readonly" cannot {verb} resource at {request.path}: '
                    "the read-only token may only read"
                )
            )
        return await handler(request)

    @web.middleware
    async def error_mw(request: web.Request, handler: Any) -> web.StreamResponse:
        cluster.api.warnings.clear()
        try:
            return await handler(request)
        except errors.ApiError as e:
            return status_response(e)
        except web.HTTPException:
            raise
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as exc:  # keep the server alive and report like the apiserver
            log.exception("internal error on %s %s", request.method, request.path)
            return status_response(
                errors.ApiError(500, "InternalError", f"Internal error occurred: {exc}")
            )

    app = web.Application(middlewares=[faults_mw, auth_mw, error_mw], client_max_size=64 * 2**20)
    app[CLUSTER] = cluster

    async def route(request: web.Request) -> web.StreamResponse:
        return await dispatch(request, cluster)

    app.router.add_route("*", "/{tail:.*}", route)
    return app


def _ok_text(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/plain")


async def dispatch(request: web.Request, cluster: Cluster) -> web.StreamResponse:
    path = request.path.rstrip("/") or "/"
    if path == "/version":
        return rest.json_response(VERSION)
    if path in ("/healthz", "/readyz", "/livez"):
        return _ok_text("ok")
    if path == "/metrics":
        return web.Response(text=cluster.metrics.prometheus(), content_type="text/plain")
    if path == "/k2sim/faults":
        return await faults_endpoint(request, cluster)
    if path.startswith("/openapi"):
        return openapi(request, cluster, path)
    if path in ("/api", "/apis"):
        if discovery.wants_aggregated(request.headers.get("Accept", "")):
            body = discovery.aggregated(cluster.registry, legacy=path == "/api")
            return web.Response(
                body=json.dumps(body).encode(),
                headers={"Content-Type": discovery.AGGREGATED_CT},
            )
        if path == "/api":
            return rest.json_response(discovery.api_versions())
        return rest.json_response(discovery.group_list(cluster.registry))
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 2:
        group, version, rest_parts = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 2:
        if len(parts) == 2:
            g = discovery.group(cluster.registry, parts[1])
            if g is None:
                raise errors.ApiError(
                    404, "NotFound", "the server could not find the requested resource"
                )
            return rest.json_response(g)
        group, version, rest_parts = parts[1], parts[2], parts[3:]
    else:
        raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")
    if not rest_parts:
        rl = discovery.resource_list(cluster.registry, group, version)
        if rl is None:
            raise errors.ApiError(
                404, "NotFound", "the server could not find the requested resource"
            )
        return rest.json_response(rl)
    return await resource_path(request, cluster, group, version, rest_parts)


async def resource_path(
    request: web.Request, cluster: Cluster, group: str, version: str, parts: list[str]
) -> web.StreamResponse:
    reg = cluster.registry
    ns: str | None = None
    if parts[0] == "namespaces" and len(parts) >= 3:
        cand = reg.get(group, version, parts[2])
        if cand is not None and cand.namespaced:
            ns, parts = parts[1], parts[2:]
    res = reg.get(group, version, parts[0])
    if res is None:
        raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")
    if len(parts) == 1:
        return await rest.collection(request, cluster, res, ns)
    name = parts[1]
    if res.namespaced and ns is None:
        raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")
    ns = ns or ""
    if len(parts) == 2:
        return await rest.item(request, cluster, res, ns, name)
    sub = parts[2]
    if sub == "status" and res.has_status:
        return await rest.status(request, cluster, res, ns, name)
    if sub == "scale" and "scale" in res.subresources:
        return await rest.scale(request, cluster, res, ns, name)
    if res.kind == "Pod":
        if sub == "log":
            return await cluster.logs.serve(request, ns, name)
        if sub in ("exec", "attach"):
            return await cluster.execs.serve(request, ns, name)
        if sub == "binding":
            return await rest.binding(request, cluster, res, ns, name)
        if sub == "eviction":
            return await rest.eviction(request, cluster, res, ns, name)
    if res.kind == "Namespace" and sub == "finalize":
        return await rest.item(request, cluster, res, ns, name)
    raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")


def openapi(request: web.Request, cluster: Cluster, path: str) -> web.Response:
    docs = cluster.openapi_docs()
    if path == "/openapi/v3":
        return rest.json_response(
            {
                "paths": {
                    k: {"serverRelativeURL": f"/openapi/v3/{k}?hash={doc_hash(raw)}"}
                    for k, raw in docs.items()
                }
            }
        )
    if path.startswith("/openapi/v3/"):
        key = path[len("/openapi/v3/") :]
        raw = docs.get(key)
        if raw is None:
            raise errors.ApiError(
                404, "NotFound", "the server could not find the requested resource"
            )
        headers = {"Cache-Control": "public, immutable", "Etag": '"' + doc_hash(raw) + '"'}
        return web.Response(body=raw, content_type="application/json", headers=headers)
    raise errors.ApiError(404, "NotFound", "the server could not find the requested resource")


async def faults_endpoint(request: web.Request, cluster: Cluster) -> web.Response:
    if request[rest.USER] != "admin":
        raise errors.forbidden("fault injection requires the admin token")
    if request.method == "GET":
        return rest.json_response(cluster.faults.as_dict())
    if request.method == "DELETE":
        await cluster.set_faults(clear=True)
        return rest.json_response(cluster.faults.as_dict())
    if request.method in ("PUT", "POST", "PATCH"):
        body = await rest.read_body(request)
        try:
            await cluster.set_faults(**body)
        except (ValueError, TypeError) as exc:
            raise errors.bad_request(str(exc)) from exc
        return rest.json_response(cluster.faults.as_dict())
    raise errors.method_not_allowed("use GET, PUT or DELETE")


__all__ = ["make_app", "builtin_paths"]
