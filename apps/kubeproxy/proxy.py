"""The Kubernetes proxy for people, served by daphne next to the portal:

    /k8s/<cluster>/<Kubernetes API path>

Every request: the bearer token (a personal access token or a k2ctl session token,
apps/kubeproxy/tokens.py) → the per-user rate limit → the policy (policy.py; the person
and their namespace role remembered a few seconds, cache.py) → an audit event with verb,
resource and namespace (written while the request goes upstream, awaited before the
response ends) → forwarded with the cluster's own credential
(apps/clusters/gateway.py `stream_target`). Responses stream back as they arrive, so
`watch`, `logs -f` and large LISTs never sit in memory. Exec and attach (websockets,
v5.channel.k8s.io) are bridged frame by frame and recorded as terminal sessions.

Open streams (watch, logs, exec) check the credential and the policy again every
K2_PROXY_RECHECK_SECONDS and end when either no longer holds: a revoked token, a
deactivated user or a lowered role closes them within that interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from urllib.parse import parse_qsl

import aiohttp
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from apps.audit.services import record
from apps.clusters import gateway
from apps.clusters.gateway import GatewayError
from apps.clusters.models import Cluster
from apps.kubeproxy import cache, exec_sessions, policy, tokens
from apps.kubeproxy.status import status_body
from apps.terminal import sessions
from apps.terminal.choices import EndReason
from apps.terminal.commands import Command, LineEditor
from apps.terminal.consumers import TokenBucket
from apps.terminal.recording import Recorder

log = logging.getLogger(__name__)
PREFIX = "/k8s/"
SERVER = f"{socket.gethostname()}:{os.getpid()}"
MAX_BODY = 3 * 2**20
FORWARD_REQUEST = ("accept", "content-type", "user-agent")
FORWARD_RESPONSE = ("content-type", "warning", "audit-id")
STDIN, STDOUT, STDERR, STATUS, RESIZE = 0, 1, 2, 3, 4


def _outcome(down, finished) -> tuple[str, str]:
    """How an exec ended: the cluster side's account when it finished cleanly (it saw the
    exit status), else the first finished task's, else an error in words."""
    for task in ([down] if down is not None else []) + finished:
        if task.exception() is None:
            return task.result()
    error = next((t.exception() for t in finished if t.exception() is not None), None)
    return EndReason.POD_GONE, str(error)[:200]


@dataclass
class Refusal(Exception):
    code: int
    message: str
    rule: str = ""


@dataclass
class Prepared:
    principal: tokens.Principal
    cluster: Cluster
    request: policy.Request
    decision: policy.Decision
    target: gateway.StreamTarget


_buckets: dict[int, TokenBucket] = {}
_streams: dict[int, int] = {}
_http: dict[int, aiohttp.ClientSession] = {}


def _bearer(scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            kind, _sep, secret = value.decode("latin-1").partition(" ")
            return secret.strip() if kind.lower() == "bearer" else ""
    return ""


def _language(scope) -> str:
    """The language of the messages: from Accept-Language when sent (k2ctl sends the
    locale's), else the installation's default."""
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            for code, _q in parse_accept_lang_header(value.decode("latin-1")):
                with contextlib.suppress(LookupError):
                    return translation.get_supported_language_variant(code)
    return settings.LANGUAGE_CODE


def _split(path: str) -> tuple[str, str]:
    rest = path[len(PREFIX) :]
    cluster, _sep, api_path = rest.partition("/")
    return cluster, "/" + api_path


def _audit(prepared: Prepared | None, principal, cluster, request, *, outcome: str = "succeeded",
           reason: str = "", extra: dict | None = None) -> None:  # fmt: skip
    if principal is None:
        return
    space = prepared.decision.space if prepared else None
    record(principal.actor, f"k8s.{request.verb}", None, outcome=outcome, reason=reason[:300],
           space=space, cluster=cluster,
           changes={"verb": request.verb, "resource": request.resource,
                    "namespace": request.namespace, "name": request.name,
                    "path": request.path[:300], "via": "kubeproxy", **(extra or {})})  # fmt: skip


def _cluster(name: str) -> Cluster | None:
    """The cluster by name, remembered for K2_PROXY_CACHE_SECONDS (disabling one, or a new
    credential, reaches the proxy within that)."""
    key = ("cluster", name)
    hit = cache.get(key, 0)
    if hit is None:
        hit = Cluster.objects.select_related("policy").filter(name=name).first()
        if hit is not None:
            cache.put(key, 0, hit)
    return hit


def prepare(raw: str, cluster_name: str, method: str, path: str, query: str, *,
            scheme: str, language: str = "en", audit: bool = True) -> Prepared:  # fmt: skip
    """Authenticate, authorize and (unless `audit` is False: the caller then runs
    `audit_allowed`) audit one request (synchronous: called in a thread)."""
    with translation.override(language):
        return _prepare(raw, cluster_name, method, path, query, scheme=scheme, audit=audit)


def audit_allowed(prepared: Prepared) -> None:
    """The audit row of an allowed request (not for exec, whose session has its own)."""
    if prepared.decision.kind != "exec" and not prepared.request.discovery:
        _audit(prepared, prepared.principal, prepared.cluster, prepared.request)


def _prepare(raw: str, cluster_name: str, method: str, path: str, query: str, *,
             scheme: str, audit: bool = True) -> Prepared:  # fmt: skip
    try:
        principal = tokens.authenticate_cached(raw)
    except tokens.Unauthenticated as exc:
        raise Refusal(401, str(exc)) from exc
    request = policy.parse(method, path, query)
    cluster = _cluster(cluster_name)
    if cluster is None:
        raise Refusal(404, _("No cluster %(cluster)s.") % {"cluster": cluster_name[:63]})
    decision = policy.decide(principal.user, cluster, request, cached=True)
    if not decision.allowed:
        with contextlib.suppress(Exception):
            record(principal.actor, f"k8s.{request.verb}", None, outcome="denied",
                   reason=decision.reason[:300], space=decision.space, cluster=cluster,
                   changes={"verb": request.verb, "resource": request.resource,
                            "namespace": request.namespace, "name": request.name,
                            "rule": decision.rule, "via": "kubeproxy"})  # fmt: skip
        raise Refusal(403, decision.reason, decision.rule)
    try:
        target = gateway.stream_target(cluster, path, parse_qsl(query, keep_blank_values=True),
                                       scheme=scheme)  # fmt: skip
    except GatewayError as exc:
        raise Refusal(503, exc.message) from exc
    prepared = Prepared(principal, cluster, request, decision, target)
    if audit:
        audit_allowed(prepared)
    return prepared


def recheck(prepared: Prepared) -> str:
    """Why an open stream must end ("" while it may go on)."""
    reason = tokens.still_valid(prepared.principal)
    if reason:
        return reason
    decision = policy.decide(prepared.principal.user, prepared.cluster, prepared.request)
    return "" if decision.allowed else decision.reason


def _client() -> aiohttp.ClientSession:
    loop_id = id(asyncio.get_running_loop())
    session = _http.get(loop_id)
    if session is None or session.closed:
        session = _http[loop_id] = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
            connector=aiohttp.TCPConnector(limit=200, limit_per_host=100),
        )
    return session


def _limited(user_id: int) -> bool:
    per_minute = settings.K2_PROXY_REQUESTS_PER_MINUTE
    bucket = _buckets.get(user_id)
    if bucket is None:
        bucket = _buckets[user_id] = TokenBucket(per_minute / 60.0, max(per_minute / 2, 1))
    return not bucket.take(1)


async def _settle(audited: asyncio.Future) -> None:
    """Wait for a request's audit row; a failure to write it is logged, not the client's."""
    try:
        await asyncio.shield(audited)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("kubeproxy: the audit row of a request could not be written")


class KubeProxy:
    """The ASGI application under /k8s/ (HTTP and websocket)."""

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.websocket(scope, receive, send)

    # --- HTTP ----------------------------------------------------------------------------------
    async def http(self, scope, receive, send):
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                await _respond(send, 413, _("The request body is too large."))
                return
            if not message.get("more_body"):
                break
        cluster_name, path = _split(scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        try:
            prepared = await database_sync_to_async(prepare)(
                _bearer(scope),
                cluster_name,
                scope["method"],
                path,
                query,
                scheme="https",
                language=_language(scope),
                audit=False,
            )
        except Refusal as refusal:
            await _respond(send, refusal.code, refusal.message, rule=refusal.rule)
            return
        # The audit row is written while the request goes upstream, and awaited before the
        # response ends: every request is still audited, without waiting on it first.
        audited = asyncio.ensure_future(database_sync_to_async(audit_allowed)(prepared))
        try:
            await self._http_allowed(prepared, scope, receive, send, body, audited)
        finally:
            await _settle(audited)

    async def _http_allowed(self, prepared: Prepared, scope, receive, send, body: bytes,
                            audited: asyncio.Future) -> None:  # fmt: skip
        user_id = prepared.principal.user.pk
        if _limited(user_id):
            await _respond(
                send,
                429,
                _("Too many requests through the proxy: at most %(n)s a minute.")
                % {"n": settings.K2_PROXY_REQUESTS_PER_MINUTE},
            )
            return
        if prepared.decision.kind == "exec":
            await _respond(send, 400, _("Exec and attach through K2Cloud need websockets "
                                        "(kubectl 1.30 or later)."))  # fmt: skip
            return
        stream = prepared.decision.kind == "stream"
        if stream:
            if _streams.get(user_id, 0) >= settings.K2_PROXY_MAX_STREAMS_PER_USER:
                await _respond(send, 429, _("You already have %(n)s streams open through the "
                                            "proxy.") % {"n": _streams[user_id]})  # fmt: skip
                return
            _streams[user_id] = _streams.get(user_id, 0) + 1
        try:
            await self._forward(prepared, scope, receive, send, body, stream, audited)
        finally:
            if stream:
                _streams[user_id] -= 1

    async def _forward(self, prepared: Prepared, scope, receive, send, body: bytes,
                       stream: bool, audited: asyncio.Future | None = None) -> None:  # fmt: skip
        headers = dict(prepared.target.headers)
        for name, value in scope.get("headers", []):
            key = name.decode("latin-1")
            if key in FORWARD_REQUEST:
                headers[key] = value.decode("latin-1")
        target = prepared.target
        started = False
        pump = asyncio.current_task()
        watchers = [asyncio.ensure_future(_disconnect(receive, pump))]
        if stream:
            watchers.append(asyncio.ensure_future(_watch_access(prepared, pump)))
        try:
            async with _client().request(
                scope["method"], target.url, headers=headers, data=body or None, ssl=target.ssl,
                server_hostname=target.server_hostname, allow_redirects=False,
            ) as upstream:  # fmt: skip
                out = [(k.encode(), upstream.headers[k].encode())
                       for k in FORWARD_RESPONSE if k in upstream.headers]  # fmt: skip
                await send({"type": "http.response.start", "status": upstream.status,
                            "headers": out})  # fmt: skip
                started = True
                async for chunk in upstream.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if audited is not None:
                await _settle(audited)
            await send({"type": "http.response.body", "body": b""})
        except asyncio.CancelledError:
            if started:
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": b""})
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            if not started:
                await _respond(
                    send,
                    503,
                    _("Cluster %(cluster)s did not answer: %(e)s")
                    % {"cluster": prepared.cluster.name, "e": type(exc).__name__},
                )
            else:
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": b""})
        finally:
            for task in watchers:
                task.cancel()

    # --- websocket: exec / attach ------------------------------------------------------------
    async def websocket(self, scope, receive, send):
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        cluster_name, path = _split(scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        try:
            prepared = await database_sync_to_async(prepare)(
                _bearer(scope),
                cluster_name,
                "GET",
                path,
                query,
                scheme="wss",
                language=_language(scope),
            )
            if prepared.decision.kind != "exec":
                raise Refusal(400, _("Only exec and attach are served over websockets."))
        except Refusal:
            await send({"type": "websocket.close", "code": 4403})
            return
        await ExecBridge(prepared, scope, receive, send, query).run()


class ExecBridge:
    """One exec: client frames ⇄ the cluster's, recorded and command-logged on the way."""

    def __init__(self, prepared: Prepared, scope, receive, send, query: str):
        self.prepared, self.scope, self.receive, self.send = prepared, scope, receive, send
        params = parse_qsl(query, keep_blank_values=True)
        self.command = [v for k, v in params if k == "command"]
        self.container = next((v for k, v in params if k == "container"), "")
        self.tty = next((v for k, v in params if k == "tty"), "") in ("1", "true")
        self.pod = prepared.request.name
        self.exit_code: int | None = None
        self.bytes_in = self.bytes_out = 0
        self.editor = LineEditor()

    async def run(self) -> None:
        prepared = self.prepared
        try:
            self.session = await database_sync_to_async(exec_sessions.start)(
                prepared.principal, prepared.decision, prepared.cluster, pod=self.pod,
                container=self.container, command=self.command, server=SERVER,
            )  # fmt: skip
        except sessions.LimitReached:
            await self.send({"type": "websocket.close", "code": 4429})
            return
        self.recorder = Recorder(
            str(self.session.key), 80, 24, shell=self.session.shell or "sh",
            title=f"{self.session.space_slug} {self.pod}/{self.session.container} (k2ctl)",
        )  # fmt: skip
        if self.command and not self.tty:  # a one-shot command: its line is the command log
            await database_sync_to_async(exec_sessions.add_commands)(
                self.session.pk, self.session.started_at, [Command(0.0, " ".join(self.command))]
            )
        protocols = list(self.scope.get("subprotocols") or ["v5.channel.k8s.io"])
        target = prepared.target
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=10))
        reason: str = EndReason.CLOSED
        message = ""
        try:
            try:
                upstream = await http.ws_connect(
                    target.url, protocols=protocols, headers=target.headers, ssl=target.ssl,
                    server_hostname=target.server_hostname, heartbeat=30.0,
                    max_msg_size=16 * 2**20, compress=0,
                )  # fmt: skip
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                await self.send({"type": "websocket.close", "code": 4404})
                reason, message = EndReason.POD_GONE, str(exc)[:200]
                return
            await self.send({"type": "websocket.accept", "subprotocol": upstream.protocol})
            tasks = [asyncio.ensure_future(self._down(upstream)),
                     asyncio.ensure_future(self._up(upstream)),
                     asyncio.ensure_future(self._watch())]  # fmt: skip
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            down = tasks[0]
            if down not in done and any(t.exception() for t in done):
                # A keystroke met the cluster's side already closing: the last frames (the
                # exit status kubectl waits for) are still on their way down; let them.
                await asyncio.wait([down], timeout=5)
            for task in tasks:
                if not task.done():
                    task.cancel()
            reason, message = _outcome(down if down.done() and not down.cancelled() else None,
                                       [t for t in tasks if t.done() and not t.cancelled()])  # fmt: skip
            with contextlib.suppress(Exception):
                await upstream.close()
            with contextlib.suppress(Exception):
                await self.send({"type": "websocket.close", "code": 1000 if reason in (
                    EndReason.EXIT, EndReason.CLOSED) else 4403})  # fmt: skip
        finally:
            await http.close()
            self.recorder.finish()
            await database_sync_to_async(sessions.end)(
                self.session.pk, reason, message=message, exit_code=self.exit_code,
                bytes_in=self.bytes_in, bytes_out=self.bytes_out,
            )  # fmt: skip

    async def _down(self, upstream) -> tuple[str, str]:
        """Cluster → client."""
        async for msg in upstream:
            if msg.type == aiohttp.WSMsgType.BINARY:
                data = msg.data
                if data and data[0] in (STDOUT, STDERR):
                    self.bytes_out += len(data) - 1
                    self.recorder.output(data[1:])
                elif data and data[0] == STATUS:
                    from apps.clusters.streams import exit_status

                    self.exit_code = exit_status(data[1:]).code
                await self.send({"type": "websocket.send", "bytes": data})
            elif msg.type == aiohttp.WSMsgType.TEXT:
                await self.send({"type": "websocket.send", "text": msg.data})
            else:
                break
        if self.exit_code is not None:
            return EndReason.EXIT, _("The command exited with status %(code)s.") % {
                "code": self.exit_code}  # fmt: skip
        return EndReason.CLOSED, ""

    async def _up(self, upstream) -> tuple[str, str]:
        """Client → cluster."""
        while True:
            message = await self.receive()
            if message["type"] == "websocket.disconnect":
                return EndReason.CLOSED, ""
            data = message.get("bytes")
            if data is None:
                if message.get("text") is not None:
                    await upstream.send_str(message["text"])
                continue
            await upstream.send_bytes(data)  # first: the record never delays a keystroke
            if data and data[0] == STDIN:
                payload = data[1:]
                self.bytes_in += len(payload)
                self.recorder.input(payload)
                commands = self.editor.feed(payload, self.recorder.now()) if self.tty else []
                if commands:
                    await database_sync_to_async(exec_sessions.add_commands)(
                        self.session.pk, self.session.started_at, commands
                    )
            elif data and data[0] == RESIZE:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    size = json.loads(data[1:])
                    self.recorder.resize(int(size["Width"]), int(size["Height"]))

    async def _watch(self) -> tuple[str, str]:
        while True:
            await asyncio.sleep(settings.K2_PROXY_RECHECK_SECONDS)
            reason = await database_sync_to_async(recheck)(self.prepared)
            if reason:
                return EndReason.REVOKED, reason
            await database_sync_to_async(sessions.heartbeat)(
                self.session.pk, bytes_in=self.bytes_in, bytes_out=self.bytes_out
            )


async def _disconnect(receive, task: asyncio.Task | None) -> None:
    """Cancel the forwarding when the client goes away (a stopped `kubectl logs -f`)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if task is not None:
                task.cancel()
            return


async def _watch_access(prepared: Prepared, task: asyncio.Task | None) -> None:
    """End an open stream once its credential or the policy no longer allows it."""
    while True:
        await asyncio.sleep(settings.K2_PROXY_RECHECK_SECONDS)
        reason = await database_sync_to_async(recheck)(prepared)
        if reason:
            log.info("kubeproxy stream of user %s ended: %s", prepared.principal.user.pk, reason)
            with contextlib.suppress(Exception):
                await database_sync_to_async(record)(
                    prepared.principal.actor, "k8s.stream.revoked", None, reason=reason[:300],
                    space=prepared.decision.space, cluster=prepared.cluster,
                    changes={"path": prepared.request.path[:300]},
                )  # fmt: skip
            if task is not None:
                task.cancel()
            return


async def _respond(send, code: int, message: str, *, rule: str = "") -> None:
    body = status_body(code, message, rule=rule)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if code == 401:
        headers.append((b"www-authenticate", b'Bearer realm="K2Cloud"'))
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def mount(proxy, fallback):
    """`proxy` for paths under /k8s/, `fallback` (the portal's stack) for everything else."""

    async def app(scope, receive, send):
        if scope["type"] in ("http", "websocket") and scope.get("path", "").startswith(PREFIX):
            return await proxy(scope, receive, send)
        return await fallback(scope, receive, send)

    return app
