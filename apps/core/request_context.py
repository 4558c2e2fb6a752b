"""Per-request context (request id, client address) readable from services and tasks.

Context variables work for threads (WSGI), coroutines (ASGI) and Celery tasks alike; the
Celery signals in k2cloud/celery.py carry the request id into tasks a request enqueued.
"""

import uuid
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str = ""


_request_id: ContextVar[str | None] = ContextVar("k2_request_id", default=None)
_client: ContextVar[ClientInfo] = ContextVar("k2_client", default=ClientInfo())  # noqa: B039


def new_request_id() -> str:
    return uuid.uuid4().hex


def get_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> None:
    _request_id.set(value)


def get_client() -> ClientInfo:
    return _client.get()


def set_client(client: ClientInfo) -> None:
    _client.set(client)
