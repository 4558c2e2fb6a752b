"""Streams to a cluster: the one bridge for long-lived requests (exec, logs follow; the
k2ctl proxy reuses it).

The gateway hands out a `StreamTarget` (URL, authorization, TLS context) built from the
cluster's cached credentials; this module opens it with aiohttp inside the caller's event
loop, so a Channels consumer never blocks a thread per open terminal.

Exec speaks the Kubernetes websocket protocol `v5.channel.k8s.io` (falling back to v4):
every binary message starts with a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 the
final `Status`, 4 resize `{"Width","Height"}`, and in v5 255 closes a channel.

Back-pressure: `receive()` reads one message at a time. A caller that stops calling it
stops aiohttp reading the socket (its reader queue pauses the transport when full), so
TCP pushes back to the container's PTY instead of memory growing here.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

import aiohttp
from django.utils.translation import gettext as _

from apps.clusters import gateway
from apps.clusters.gateway import GatewayError, Kind

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, STATUS, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
CONNECT_TIMEOUT = 10.0


@dataclass
class ExitStatus:
    code: int | None  # None when the command never ran (the message says why)
    message: str = ""


def exit_status(payload: bytes) -> ExitStatus:
    """The exit status a `Status` on channel 3 reports."""
    try:
        status = json.loads(payload or b"{}")
    except ValueError:
        return ExitStatus(None, payload.decode("utf-8", "replace")[:300])
    if status.get("status") == "Success":
        return ExitStatus(0)
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            try:
                return ExitStatus(int(cause.get("message")), status.get("message", ""))
            except (TypeError, ValueError):
                break
    return ExitStatus(None, str(status.get("message", ""))[:300])


class ExecStream:
    """One open exec: write stdin, resize, read output until the exit status arrives."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse):
        self._http = http
        self._ws = ws
        self.v5 = ws.protocol == PROTOCOLS[0]
        self.exit: ExitStatus | None = None

    async def send_stdin(self, data: bytes) -> None:
        if data and not self._ws.closed:
            await self._ws.send_bytes(bytes([STDIN]) + data)

    async def resize(self, cols: int, rows: int) -> None:
        if not self._ws.closed:
            size = json.dumps({"Width": cols, "Height": rows}).encode()
            await self._ws.send_bytes(bytes([RESIZE]) + size)

    async def close_stdin(self) -> None:
        if self.v5 and not self._ws.closed:
            await self._ws.send_bytes(bytes([CLOSE, STDIN]))

    async def receive(self) -> bytes | None:
        """The next output chunk (stdout or stderr); None once the stream ended (then
        `exit` holds the exit status, or None when the connection just broke)."""
        while True:
            msg = await self._ws.receive()
            if msg.type == aiohttp.WSMsgType.BINARY:
                data = msg.data
            elif msg.type == aiohttp.WSMsgType.TEXT:  # v4 servers may send text frames
                data = msg.data.encode()
            else:
                return None
            if not data:
                continue
            channel, payload = data[0], data[1:]
            if channel in (STDOUT, STDERR):
                if payload:
                    return payload
            elif channel == STATUS:
                self.exit = exit_status(payload)

    async def close(self) -> None:
        try:
            await self._ws.close()
        finally:
            await self._http.close()


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT)
    )


@contextlib.asynccontextmanager
async def _opening(cluster, http: aiohttp.ClientSession):
    """Opening a stream: on any failure close `http` and say what went wrong in the
    gateway's words (a refused handshake, TLS, an unreachable cluster)."""
    try:
        yield
    except GatewayError:
        await http.close()
        raise
    except aiohttp.WSServerHandshakeError as exc:
        await http.close()
        api_exc = gateway.ApiException(status=exc.status, reason=exc.message)
        api_exc.body = json.dumps({"message": exc.message})
        raise gateway.stream_failed(cluster, api_exc) from exc
    except aiohttp.ClientSSLError as exc:
        await http.close()
        raise GatewayError(
            Kind.TLS,
            _("TLS verification of %(server)s failed: %(detail)s")
            % {"server": cluster.api_url, "detail": str(exc)[:200]},
        ) from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        await http.close()
        raise gateway.stream_failed(cluster, OSError(str(exc) or type(exc).__name__)) from exc
    except BaseException:
        await http.close()
        raise


def _exec_path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/exec"


async def open_exec(cluster, namespace: str, pod: str, container: str, command: list[str], *,
                    tty: bool = True) -> ExecStream:  # fmt: skip
    """Open an interactive exec in `container` of `pod` (GatewayError in words otherwise)."""
    query = [("container", container), ("stdin", "true"), ("stdout", "true"),
             ("stderr", "false" if tty else "true"), ("tty", "true" if tty else "false")]  # fmt: skip
    query += [("command", part) for part in command]
    target = gateway.stream_target(cluster, _exec_path(namespace, pod), query)
    http = _session()
    async with _opening(cluster, http):
        ws = await http.ws_connect(
            target.url, protocols=PROTOCOLS, headers=target.headers, ssl=target.ssl,
            server_hostname=target.server_hostname, heartbeat=30.0, max_msg_size=16 * 2**20,
            compress=0,
        )  # fmt: skip
    gateway.close_breaker(cluster)
    return ExecStream(http, ws)


# --- logs ---------------------------------------------------------------------------------
class LogStream:
    """One open `pods/{name}/log` (a chunked GET): its lines, one at a time. A caller that
    stops reading stops aiohttp reading the socket, so the kubelet is pushed back."""

    def __init__(self, http: aiohttp.ClientSession, response: aiohttp.ClientResponse,
                 max_line: int):  # fmt: skip
        self._http, self._response, self._max_line = http, response, max_line
        self._buffer = b""
        self._skip = False

    async def line(self) -> str | None:
        """The next line without its newline (cut at `max_line` bytes, the rest of it
        skipped); None at the end of the log."""
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                head, self._buffer = self._buffer[:newline], self._buffer[newline + 1 :]
                if self._skip:
                    self._skip = False
                    continue
                return head[: self._max_line].decode("utf-8", "replace")
            if self._skip:
                self._buffer = b""
            elif len(self._buffer) > self._max_line:
                head, self._buffer, self._skip = self._buffer[: self._max_line], b"", True
                return head.decode("utf-8", "replace") + " …"
            chunk = await self._response.content.readany()
            if not chunk:
                rest, self._buffer = (b"" if self._skip else self._buffer), b""
                return rest.decode("utf-8", "replace") if rest else None
            self._buffer += chunk

    async def close(self) -> None:
        try:
            self._response.close()
        finally:
            await self._http.close()


def _log_path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/log"


async def open_log(cluster, namespace: str, pod: str, query: list[tuple[str, str]], *,
                   max_line: int = 16 * 1024) -> LogStream:  # fmt: skip
    """Open the log of a container (`query`: container, follow, tailLines, sinceTime,
    sinceSeconds, timestamps, previous); GatewayError in words when the cluster refuses."""
    target = gateway.stream_target(cluster, _log_path(namespace, pod), query, scheme="https")
    http = _session()
    async with _opening(cluster, http):
        response = await http.get(target.url, headers=target.headers, ssl=target.ssl,
                                  server_hostname=target.server_hostname)  # fmt: skip
        if response.status >= 400:
            body = await response.text()
            response.close()
            api_exc = gateway.ApiException(status=response.status, reason=response.reason)
            api_exc.body = body
            raise gateway.stream_failed(cluster, api_exc)
    gateway.close_breaker(cluster)
    return LogStream(http, response, max_line)
