"""The live logs websocket: the logs of an app's pods, followed.

    /ws/logs/<space>/<app>/?cluster=&pod=&container=&tail=&since=&timestamps=&previous=&follow=

Before accepting: sign-in (4401), the options (4400 naming the field), the access decision
(4403 / 4404, apps/podlogs/access.py: viewer and up). After accepting, server → browser
(text JSON):

- `{"type": "source", "id": n, "cluster", "pod", "container"}` for each container log joining;
- `{"type": "lines", "lines": [[source_id, text], ...]}`;
- `{"type": "dropped", "count": n, "message": …}` where lines were dropped (see below);
- `{"type": "notice", "message": …}`; `{"type": "stats", ...}` when asked;
- last, `{"type": "closed", "reason": done|pod_gone|unreachable|revoked, "message": …}`.

Browser → server: `{"type": "ack", "lines": n}` once drawn, `{"type": "pause"}`,
`{"type": "resume"}`, `{"type": "stats"}`.

Flow control: at most K2_LOGS_WINDOW_LINES lines are sent and not yet acknowledged; while
the browser is behind or paused, lines wait in the connection's LineQueue, which drops
beyond its bound and says how many. Access is decided again on a revocation push (the
terminal's groups, apps/terminal/revocation.py) and every K2_LOGS_RECHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import asdict

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.core.consumers import ResilientLayerConsumer, query_params
from apps.podlogs.access import UNAUTHENTICATED, decide
from apps.podlogs.buffer import DROPPED, END, LINE, NOTICE, SOURCE, LineQueue
from apps.podlogs.options import OptionError, parse
from apps.podlogs.tail import DONE, REVOKED, Tail
from apps.terminal import revocation

BAD_OPTION = 4400
BATCH = 500
CLOSE_CODES = {DONE: 1000, REVOKED: 4403}


def dropped_message(count: int) -> str:
    return ngettext(
        "%(n)s line was dropped: the logs arrived faster than they could be shown.",
        "%(n)s lines were dropped: the logs arrived faster than they could be shown.",
        count,
    ) % {"n": count}


class LogsConsumer(ResilientLayerConsumer):
    tasks: list[asyncio.Task]
    ending = False
    accepted = False

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        query = query_params(self.scope)
        try:
            self.options = parse(query, strict=False)
        except OptionError:
            await self.close(code=BAD_OPTION)
            return
        self.space_slug, self.app_name = kwargs["space"], kwargs["app"]
        decision = await database_sync_to_async(decide)(
            user, self.space_slug, self.app_name, self.options.cluster
        )
        if not decision.allowed:
            await self.close(code=decision.code)
            return
        app = decision.app
        self.queue = LineQueue(settings.K2_LOGS_QUEUE_LINES, settings.K2_LOGS_QUEUE_BYTES)
        self.tail = Tail(decision.clusters, app.space.namespace, app.name, self.options, self.queue)
        self.unacked, self.paused = 0, False
        self.window = asyncio.Event()
        self.window.set()
        self.groups = [revocation.user_group(user.pk), revocation.space_group(app.space_id)]
        await self.accept()
        self.accepted = True
        for group in self.groups:
            with contextlib.suppress(Exception):  # the periodic re-check covers a down layer
                await self.channel_layer.group_add(group, self.channel_name)
        self.tasks = [asyncio.ensure_future(self.tail.run()), asyncio.ensure_future(self._pump()),
                      asyncio.ensure_future(self._recheck_loop())]  # fmt: skip

    # --- browser → server -----------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if not self.accepted or self.ending:
            return
        try:
            message = json.loads(text_data or "")
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            await self._send({"type": "notice", "message": _("Unreadable control message.")})
            return
        if kind == "ack":
            try:
                self.unacked = max(0, self.unacked - int(message.get("lines", 0)))
            except (TypeError, ValueError):
                return
        elif kind in ("pause", "resume"):
            self.paused = kind == "pause"
        elif kind == "stats":
            await self._send({"type": "stats", **asdict(self.queue.stats())})
            return
        else:
            await self._send({"type": "notice", "message": _("Unknown control message %(type)s.")
                              % {"type": str(kind)[:40]}})  # fmt: skip
            return
        self._update_window()

    def _update_window(self) -> None:
        if not self.paused and self.unacked < settings.K2_LOGS_WINDOW_LINES:
            self.window.set()
        else:
            self.window.clear()

    # --- server → browser -----------------------------------------------------------------
    async def _pump(self) -> None:
        while True:
            await self.window.wait()
            room = max(1, min(BATCH, settings.K2_LOGS_WINDOW_LINES - self.unacked))
            lines: list[list] = []
            for item in await self.queue.batch(room):
                if item[0] == LINE:
                    lines.append([item[1], item[2]])
                    continue
                await self._flush(lines)
                if item[0] == SOURCE:
                    await self._send({"type": "source", **asdict(item[1])})
                elif item[0] == DROPPED:
                    await self._send({"type": "dropped", "count": item[1],
                                      "message": dropped_message(item[1])})  # fmt: skip
                elif item[0] == NOTICE:
                    await self._send({"type": "notice", "message": item[1]})
                elif item[0] == END:
                    await self._finish(item[1], item[2])
                    return
            await self._flush(lines)

    async def _flush(self, lines: list[list]) -> None:
        if lines:
            await self._send({"type": "lines", "lines": lines})
            self.unacked += len(lines)
            self._update_window()
            lines.clear()

    # --- re-checks and the end ------------------------------------------------------------
    async def _recheck_loop(self) -> None:
        while not self.ending:
            await asyncio.sleep(settings.K2_LOGS_RECHECK_SECONDS)
            await self._recheck()

    async def terminal_recheck(self, event) -> None:
        """A revocation push (apps/terminal/revocation.py)."""
        if self.accepted and not self.ending:
            await self._recheck()

    async def _recheck(self) -> None:
        user = self.scope["user"]
        fresh = await database_sync_to_async(
            lambda: type(user).objects.filter(pk=user.pk).first()
        )()
        decision = await database_sync_to_async(decide)(
            fresh, self.space_slug, self.app_name, self.options.cluster
        )
        if not decision.allowed:
            await self._finish(REVOKED, decision.reason)

    async def disconnect(self, code):
        if self.accepted:
            await self._finish(DONE, "", tell=False)

    async def _finish(self, reason: str, message: str, *, tell: bool = True) -> None:
        if self.ending:
            return
        self.ending = True
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()
        if tell:
            with contextlib.suppress(Exception):  # the browser may be gone already
                await self._send({"type": "closed", "reason": reason, "message": message})
                await self.close(code=CLOSE_CODES.get(reason, 4404))
        for group in self.groups:
            with contextlib.suppress(Exception):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def _send(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))
