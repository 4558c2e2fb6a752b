"""Request id and client info for every request, echoed back as X-Request-ID."""

import re

from apps.core.request_context import (
    ClientInfo,
    new_request_id,
    set_client,
    set_request_id,
)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Take a well-formed X-Request-ID from the proxy or make one; expose it to logs/audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        set_request_id(request.request_id)
        set_client(
            ClientInfo(
                ip=request.META.get("REMOTE_ADDR"),
                user_agent=request.headers.get("User-Agent", "")[:512],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            set_request_id(None)
            set_client(ClientInfo())
        response["X-Request-ID"] = request.request_id
        return response
