"""The web terminal's websocket: browser ⇄ K2Cloud ⇄ the container's exec stream.

    /ws/terminal/<space>/<app>/?cluster=&pod=&container=&shell=sh|bash&cols=&rows=

Before accepting: sign-in (4401), the access decision (4403 / 4404 with the reason the
portal page also shows), the per-user and per-space limits (4429). After accepting, the
frames are:

- browser → server, binary: keystrokes and pastes (stdin, rate-limited);
  text JSON: `{"type": "resize", "cols": c, "rows": r}`, `{"type": "ack", "bytes": n}`;
- server → browser, binary: what the terminal shows; text JSON: `{"type": "status",
  "state": "connected", "session": key}`, `{"type": "notice", "message": …}` and, last,
  `{"type": "closed", "reason": …, "message": …, "exit_code": …}`.

Flow control: the browser acknowledges output once xterm.js has drawn it; with more than
K2_TERMINAL_OUTPUT_WINDOW_BYTES unacknowledged, the server stops reading the exec stream
(TCP then pushes back to the PTY), so a `cat` of a huge file neither floods the browser
nor grows server memory. Nothing the user types is ever logged: it goes to the container,
the encrypted recording and the command log only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _

from apps.audit.actors import Actor
from apps.clusters.gateway import GatewayError
from apps.clusters.streams import ExecStream, open_exec
from apps.core.consumers import ResilientLayerConsumer, query_params
from apps.terminal import revocation, sessions
from apps.terminal.access import FORBIDDEN, LIMITED, SHELLS, UNAUTHENTICATED, Target, decide
from apps.terminal.choices import EndReason
from apps.terminal.commands import LineEditor
from apps.terminal.recording import Recorder

log = logging.getLogger(__name__)
SERVER = f"{socket.gethostname()}:{os.getpid()}"
CLOSE_CODES = {EndReason.EXIT: 1000, EndReason.CLOSED: 1000, EndReason.IDLE: 4408,
               EndReason.MAX_LENGTH: 4408, EndReason.REVOKED: 4403, EndReason.POD_GONE: 4404,
               EndReason.SERVER_STOPPED: 1001}  # fmt: skip


def _size(value, default: int) -> int:
    try:
        return max(2, min(int(value), 1000))
    except (TypeError, ValueError):
        return default


class TokenBucket:
    """Input rate limit: `rate` bytes per second, bursts up to `burst` (a paste)."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self, n: int) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if n > self.tokens:
            return False
        self.tokens -= n
        return True


class TerminalConsumer(ResilientLayerConsumer):
    stream: ExecStream | None = None
    session = None

    # --- connect: decide before accepting --------------------------------------------------
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        query = query_params(self.scope)
        self.target = Target(
            space_slug=kwargs["space"], app_name=kwargs["app"],
            cluster_name=query.get("cluster", ""), pod=query.get("pod", ""),
            container=query.get("container", ""), shell=query.get("shell", "sh"),
        )  # fmt: skip
        self.cols, self.rows = _size(query.get("cols"), 80), _size(query.get("rows"), 24)
        decision = await database_sync_to_async(decide)(user, self.target)
        if not decision.allowed:
            await self.close(code=decision.code)
            return
        self.actor = Actor.for_user(user)
        try:
            self.session = await database_sync_to_async(sessions.start)(
                self.actor, decision, self.target, server=SERVER
            )
        except sessions.LimitReached:
            await self.close(code=LIMITED)
            return
        self.space_id, self.cluster = decision.space.pk, decision.cluster
        self.ending = False
        self.bytes_in = self.bytes_out = 0
        self.unacked = 0
        self.window = asyncio.Event()
        self.window.set()
        self.last_input = self.started = time.monotonic()
        self.bucket = TokenBucket(settings.K2_TERMINAL_INPUT_BYTES_PER_SECOND,
                                  settings.K2_TERMINAL_INPUT_BURST_BYTES)  # fmt: skip
        self.editor = LineEditor()
        self.session_key = getattr(self.scope.get("session"), "session_key", None) or ""
        self.recorder = Recorder(
            str(self.session.key), self.cols, self.rows, shell=self.target.shell,
            title=f"{self.target.space_slug}/{self.target.app_name} {self.target.pod}/{self.target.container}",
        )  # fmt: skip
        self.groups_joined = [revocation.user_group(user.pk), revocation.space_group(self.space_id),
                              revocation.cluster_group(self.cluster.pk)]  # fmt: skip
        await self.accept()
        for group in self.groups_joined:
            with contextlib.suppress(Exception):  # the periodic re-check covers a down layer
                await self.channel_layer.group_add(group, self.channel_name)
        try:
            self.stream = await open_exec(
                self.cluster, decision.space.namespace, self.target.pod, self.target.container,
                SHELLS[self.target.shell],
            )  # fmt: skip
            await self.stream.resize(self.cols, self.rows)
        except GatewayError as exc:
            await self._finish(EndReason.POD_GONE, exc.message)
            return
        await self._send_json({"type": "status", "state": "connected",
                               "session": str(self.session.key)})  # fmt: skip
        self.tasks = [asyncio.ensure_future(self._pump()), asyncio.ensure_future(self._watch())]

    # --- browser → container ----------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if self.session is None or self.ending or self.stream is None:
            return
        if bytes_data is not None:
            await self._stdin(bytes_data)
        elif text_data is not None:
            await self._control(text_data)

    async def _stdin(self, data: bytes) -> None:
        if not self.bucket.take(len(data)):
            await self._send_json({"type": "notice", "message": _(
                "Input is arriving faster than the terminal accepts (%(rate)s KiB/s): "
                "some of it was not sent.") % {
                "rate": settings.K2_TERMINAL_INPUT_BYTES_PER_SECOND // 1024}})  # fmt: skip
            return
        self.last_input = time.monotonic()
        self.bytes_in += len(data)
        await self.stream.send_stdin(data)
        self.recorder.input(data)
        commands = self.editor.feed(data, self.recorder.now())
        if commands:
            await database_sync_to_async(sessions.add_commands)(
                self.session.pk, self.session.started_at, commands
            )

    async def _control(self, text: str) -> None:
        try:
            message = json.loads(text)
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            await self._send_json({"type": "notice", "message": _("Unreadable control message.")})
            return
        if kind == "resize":
            self.cols, self.rows = (
                _size(message.get("cols"), self.cols),
                _size(message.get("rows"), self.rows),
            )
            await self.stream.resize(self.cols, self.rows)
            self.recorder.resize(self.cols, self.rows)
        elif kind == "ack":
            try:
                self.unacked = max(0, self.unacked - int(message.get("bytes", 0)))
            except (TypeError, ValueError):
                return
            if self.unacked < settings.K2_TERMINAL_OUTPUT_WINDOW_BYTES // 2:
                self.window.set()
        else:
            await self._send_json({"type": "notice", "message": _("Unknown control message %(type)s.")
                                   % {"type": str(kind)[:40]}})  # fmt: skip

    # --- container → browser ----------------------------------------------------------------
    async def _pump(self) -> None:
        window = settings.K2_TERMINAL_OUTPUT_WINDOW_BYTES
        try:
            while True:
                await self.window.wait()
                chunk = await self.stream.receive()
                if chunk is None:
                    break
                self.bytes_out += len(chunk)
                self.unacked += len(chunk)
                if self.unacked >= window:
                    self.window.clear()
                self.recorder.output(chunk)
                await self.send(bytes_data=chunk)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the session ends with the reason
            await self._finish(EndReason.POD_GONE, _("The connection to the container broke: %(e)s")
                               % {"e": type(exc).__name__})  # fmt: skip
            return
        exit_status = self.stream.exit
        if exit_status is not None and exit_status.code is not None:
            await self._finish(EndReason.EXIT, _("The shell exited with status %(code)s.")
                               % {"code": exit_status.code}, exit_code=exit_status.code)  # fmt: skip
        else:
            detail = exit_status.message if exit_status else ""
            await self._finish(EndReason.POD_GONE, detail or _("The container's stream ended "
                                                              "(the pod may have gone)."))  # fmt: skip

    # --- ending: timeouts, re-checks, revocation --------------------------------------------
    async def _watch(self) -> None:
        recheck = settings.K2_TERMINAL_RECHECK_SECONDS
        next_check = time.monotonic() + recheck
        while not self.ending:
            await asyncio.sleep(min(1.0, recheck))
            now = time.monotonic()
            if now - self.last_input >= settings.K2_TERMINAL_IDLE_SECONDS:
                await self._finish(EndReason.IDLE, _(
                    "Closed after %(minutes)s minutes without input.")
                    % {"minutes": round(settings.K2_TERMINAL_IDLE_SECONDS / 60, 1)})  # fmt: skip
                return
            if now - self.started >= settings.K2_TERMINAL_MAX_SECONDS:
                await self._finish(EndReason.MAX_LENGTH, _(
                    "Closed at the maximum session length of %(hours)s hours.")
                    % {"hours": round(settings.K2_TERMINAL_MAX_SECONDS / 3600, 2)})  # fmt: skip
                return
            if now >= next_check:
                next_check = now + recheck
                if await self._revoked():
                    return
                await database_sync_to_async(sessions.heartbeat)(
                    self.session.pk, bytes_in=self.bytes_in, bytes_out=self.bytes_out
                )

    async def terminal_recheck(self, event) -> None:
        """A revocation push (apps/terminal/revocation.py)."""
        if self.session is None or self.ending:
            return
        if event.get("signed_out") and event["signed_out"] == self.session_key:
            await self._finish(EndReason.REVOKED, _("You signed out."))
            return
        await self._revoked()

    async def _revoked(self) -> bool:
        reason = await database_sync_to_async(self._recheck)()
        if reason:
            await self._finish(EndReason.REVOKED, reason)
            return True
        return False

    def _recheck(self) -> str:
        """Why access ended ("" while it holds): the decision again, and the sign-in."""
        user = type(self.scope["user"]).objects.filter(pk=self.scope["user"].pk).first()
        if user is None:
            return _("Your account was removed.")
        if self.session_key and not self.scope["session"].exists(self.session_key):
            return _("You signed out.")
        decision = decide(user, self.target, check_pod=False)
        if decision.allowed:
            return ""
        return decision.reason if decision.code != UNAUTHENTICATED or not user.is_active else _(
            "Sign in again to use the terminal.")  # fmt: skip

    async def disconnect(self, code):
        if self.session is not None:
            await self._finish(EndReason.CLOSED, "")

    async def _finish(self, reason: str, message: str, *, exit_code: int | None = None) -> None:
        if self.ending:
            return
        self.ending = True
        current = asyncio.current_task()
        for task in getattr(self, "tasks", []):
            if task is not current:
                task.cancel()
        if self.stream is not None:
            with contextlib.suppress(Exception):
                await self.stream.close()
        self.recorder.finish()
        text = message or str(EndReason(reason).label)
        # The row first (recording uploaded, audit recorded), then the browser is told.
        await database_sync_to_async(sessions.end)(
            self.session.pk, reason, message=text, exit_code=exit_code,
            bytes_in=self.bytes_in, bytes_out=self.bytes_out,
        )  # fmt: skip
        with contextlib.suppress(Exception):  # the browser may be gone already
            await self._send_json({"type": "closed", "reason": reason, "message": text,
                                   "exit_code": exit_code})  # fmt: skip
            await self.close(code=CLOSE_CODES.get(reason, FORBIDDEN))
        for group in self.groups_joined:
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def _send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))
