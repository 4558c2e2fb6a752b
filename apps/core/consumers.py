"""A signed-in echo websocket: proves Channels + daphne + auth work end to end."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class PingConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)  # refuse before accepting
            return
        await self.accept()

    async def receive_json(self, content, **kwargs):
        await self.send_json({"pong": content.get("ping"), "user": self.scope["user"].username})
