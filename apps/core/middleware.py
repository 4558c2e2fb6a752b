"""Request id and client info for every request (echoed back as X-Request-ID), body limits,
the Permissions-Policy header, and the JSON envelope for every error under /api/."""

import re

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.api.errors import json_error
from apps.core.errors import ERRORS, OTHER, request_too_large
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


class BodyLimitMiddleware:
    """Refuse a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE from its Content-Length (413).

    Django applies the limit only when a view reads the body, and answers 400; a client
    that sent too much should learn that this is the problem, before any work is done.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return request_too_large(request)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Permissions-Policy: the portal uses no camera, microphone, location, USB or payment."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class ApiErrorMiddleware:
    """Every error under /api/ in the JSON envelope, whatever produced it.

    The error handlers in apps/core/errors.py answer JSON for /api/ only when DEBUG is off;
    with DEBUG on (`make run`) Django's own pages (technical 404/500, an empty 405) would
    reach API clients. This rewrites any non-JSON 4xx/5xx under /api/ into the envelope.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or getattr(response, "streaming", False)
            or "json" in response.get("Content-Type", "")
        ):
            return response
        code, _title, message = ERRORS.get(response.status_code, OTHER)
        text = str(message)
        if response.status_code == 405:
            text = text % {"method": request.method}
            if response.get("Allow"):
                text += " " + _("It accepts: %(allowed)s.") % {"allowed": response["Allow"]}
        replaced = json_error(text, code, response.status_code)
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if response.has_header(header):
                replaced[header] = response[header]
        return replaced
