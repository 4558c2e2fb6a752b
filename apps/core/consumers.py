"""A signed-in echo websocket (proves Channels + daphne + auth work end to end), the
answer to a websocket path nothing serves, and the base of the long-lived consumers
(terminal, live logs) that must outlive a failing channel layer."""

import asyncio
import contextlib
import logging
from urllib.parse import parse_qs

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch

log = logging.getLogger(__name__)


def query_params(scope) -> dict[str, str]:
    """The websocket's query string, the first value of each name."""
    return {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}


class ResilientLayerConsumer(AsyncWebsocketConsumer):
    """Channels' dispatch, with a channel layer that may fail: a long-lived stream must not
    die because Redis is slow or restarting. Layer messages (revocation pushes) are the
    fast path; the consumers' periodic re-check still closes what was revoked meanwhile."""

    async def __call__(self, scope, receive, send):
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.base_send = send
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            sources.append(self._layer_receive)
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch(sources, self.dispatch)

    async def _layer_receive(self):
        while True:
            try:
                return await self.channel_layer.receive(self.channel_name)
            except Exception as exc:  # noqa: BLE001 - retried; the re-check covers the gap
                log.warning("%s: channel layer receive failed (%s); retrying",
                            type(self).__name__, type(exc).__name__)  # fmt: skip
                await asyncio.sleep(1.0)


class PingConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)  # refuse before accepting
            return
        await self.accept()

    async def receive_json(self, content, **kwargs):
        await self.send_json({"pong": content.get("ping"), "user": self.scope["user"].username})


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Websocket paths nothing serves: refused before accepting (close 4404), no traceback.

    Without it, Channels' router raises for an unknown path and the handshake ends in a
    server error.
    """

    async def connect(self):
        log.info("websocket refused: no route for %s", self.scope.get("path", "")[:200])
        await self.close(code=4404)
