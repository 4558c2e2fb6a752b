"""Request parsers that bound what a request may cost before anything reads it.

The JSON parser refuses documents nested deeper than K2_MAX_JSON_DEPTH before decoding:
a thousand levels of `[` would otherwise reach Python's recursion limit somewhere
between the decoder, the serializers and the audit trail (a 500 instead of a 400).
"""

import json
import re
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError

# JSON strings (with their escapes) are cut out first, so brackets inside text don't count.
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_OPEN = frozenset(b"[{")


def json_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (0 for a scalar)."""
    brackets = _STRINGS.sub(b'""', raw).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(accumulate(1 if c in _OPEN else -1 for c in brackets))


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self):
        super().__init__(too_large_message())


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _("The request body is larger than the %(size)s K2Cloud accepts.") % {
        "size": f"{limit // 1024} KiB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MiB"
    }


def check_json_depth(raw: bytes) -> None:
    limit = settings.K2_MAX_JSON_DEPTH
    if json_depth(raw) > limit:
        raise ParseError(
            _("The JSON body nests deeper than %(limit)d levels; flatten it.") % {"limit": limit}
        )


class BoundedJSONParser(parsers.JSONParser):
    """JSONParser with a nesting-depth limit (the body size is bounded by Django)."""

    def parse(self, stream, media_type=None, parser_context=None):
        # Bodies sent without a Content-Length are not bounded by Django: read one byte more
        # than the limit to tell.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge()
        check_json_depth(raw)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(
                _("JSON parse error: %(detail)s") % {"detail": str(exc)[:200]}
            ) from exc


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
