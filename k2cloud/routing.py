"""Websocket routes. Each app that serves a websocket adds its consumers here."""

from django.urls import path, re_path

from apps.core.consumers import PingConsumer, UnknownPathConsumer
from apps.podlogs.consumers import LogsConsumer
from apps.terminal.consumers import TerminalConsumer

websocket_urlpatterns = [
    path("ws/ping/", PingConsumer.as_asgi()),
    path("ws/terminal/<slug:space>/<slug:app>/", TerminalConsumer.as_asgi()),
    path("ws/logs/<slug:space>/<slug:app>/", LogsConsumer.as_asgi()),
]
# Last, for any path no route above serves: refused cleanly (close 4404), not a server error.
websocket_urlpatterns.append(re_path(r"", UnknownPathConsumer.as_asgi()))
