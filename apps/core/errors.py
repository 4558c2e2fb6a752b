"""Error pages in the portal's style, or the API's JSON envelope when JSON is wanted."""

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.core.api.errors import json_error
from apps.core.api.parsers import too_large_message


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def _error(request, status: int, code: str, title: str, message: str):
    if wants_json(request):
        return json_error(message, code, status)
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request)
    return _error(
        request, 400, "bad_request", _("Bad request"), _("The request could not be understood.")
    )


def permission_denied(request, exception=None):
    return _error(
        request, 403, "permission_denied", _("Not allowed"),
        _("You do not have permission to see this page. Ask a platform admin if you need access."),
    )  # fmt: skip


def page_not_found(request, exception=None):
    return _error(
        request, 404, "not_found", _("Page not found"),
        _("There is nothing at this address. It may have been moved or deleted."),
    )  # fmt: skip


def server_error(request):
    return _error(
        request, 500, "server_error", _("Something went wrong"),
        _("The error has been logged. Please try again; if it keeps happening, tell the platform team."),
    )  # fmt: skip


def request_too_large(request):
    return _error(request, 413, "too_large", _("Request too large"), too_large_message())
