"""One error envelope for every JSON 4xx/5xx: {"message": str, "code": str, "fields": {...}}.

`fields` maps a field name to its list of messages, so a client can show each message
beside its input; `message` is a sentence a person can act on.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def error_body(message: str, code: str, fields: dict | None = None) -> dict:
    return {"message": str(message), "code": code, "fields": fields or {}}


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _fields(detail) -> dict:
    if not isinstance(detail, dict):
        return {}
    return {key: _flatten(value) for key, value in detail.items() if key != "non_field_errors"}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(detail)
        non_field = detail.get("non_field_errors") if isinstance(detail, dict) else detail
        if non_field:
            message = " ".join(_flatten(non_field))
        else:
            message = _("Please correct these fields: %(fields)s.") % {"fields": ", ".join(fields)}
        body = error_body(message, "invalid", fields)
    else:
        message = detail.get("detail", detail) if isinstance(detail, dict) else detail
        body = error_body(" ".join(_flatten(message)), getattr(exc, "default_code", "error"))
    return Response(body, status=response.status_code, headers=response.headers)


def json_error(message: str, code: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(message, code), status=status_code)


__all__ = ["exception_handler", "error_body", "json_error", "status"]
