"""Error pages in the portal's style, or the API's JSON envelope when JSON is wanted."""

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _lazy

from apps.core.api.errors import json_error
from apps.core.api.parsers import too_large_message


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


# status: (code, page title, message) — the one wording of each error, for the portal's
# pages and the API's envelope (apps/core/middleware.ApiErrorMiddleware).
ERRORS = {
    400: ("bad_request", _lazy("Bad request"), _lazy("The request could not be understood.")),
    401: ("not_authenticated", _lazy("Sign in"), _lazy("Sign in or send a valid token.")),
    403: ("permission_denied", _lazy("Not allowed"),
          _lazy("You do not have permission to see this page. Ask a platform admin if you need access.")),
    404: ("not_found", _lazy("Page not found"),
          _lazy("There is nothing at this address. It may have been moved or deleted.")),
    405: ("method_not_allowed", _lazy("Not allowed"), _lazy("This address does not accept %(method)s.")),
    413: ("too_large", _lazy("Request too large"), _lazy("The request is too large.")),
    500: ("server_error", _lazy("Something went wrong"),
          _lazy("The error has been logged. Please try again; if it keeps happening, tell the platform team.")),
}  # fmt: skip
OTHER = ("error", _lazy("Error"), _lazy("The request failed."))


def _error(request, status: int, message=None):
    code, title, default = ERRORS[status]
    message = message or default
    if wants_json(request):
        return json_error(str(message), code, status)
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return request_too_large(request)
    return _error(request, 400)


def permission_denied(request, exception=None):
    return _error(request, 403)


def page_not_found(request, exception=None):
    return _error(request, 404)


def server_error(request):
    return _error(request, 500)


def request_too_large(request):
    return _error(request, 413, too_large_message())
