"""Diagnostic tasks: prove the broker, a worker and the result backend work end to end."""

import socket

from celery import shared_task

from apps.core.request_context import get_request_id


@shared_task(name="workers.diagnostics.ping")
def ping(payload: str) -> dict:
    """Echo `payload` with the worker's host and the request id the task inherited."""
    return {"pong": payload, "worker": socket.gethostname(), "request_id": get_request_id()}
