"""Channels: the websocket stack refuses anonymous users before accepting and serves signed-in ones."""

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from apps.core.consumers import PingConsumer

pytestmark = pytest.mark.django_db


async def _anonymous_refused():
    communicator = WebsocketCommunicator(PingConsumer.as_asgi(), "/ws/ping/")
    communicator.scope["user"] = AnonymousUser()
    connected, code = await communicator.connect()
    return connected, code


async def _echo(user):
    communicator = WebsocketCommunicator(PingConsumer.as_asgi(), "/ws/ping/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    await communicator.send_json_to({"ping": 42})
    reply = await communicator.receive_json_from()
    await communicator.disconnect()
    return connected, reply


def test_anonymous_websocket_is_refused_with_4401():
    from asgiref.sync import async_to_sync

    connected, code = async_to_sync(_anonymous_refused)()
    assert connected is False
    assert code == 4401


def test_signed_in_websocket_echoes(alice):
    from asgiref.sync import async_to_sync

    connected, reply = async_to_sync(_echo)(alice)
    assert connected is True
    assert reply == {"pong": 42, "user": "alice"}
