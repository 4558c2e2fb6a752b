"""A signed-in echo websocket (proves Channels + daphne + auth work end to end), and the
answer to a websocket path nothing serves."""

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer

log = logging.getLogger(__name__)


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
