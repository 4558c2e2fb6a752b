"""Logging helpers: every record carries the request id (or "-" outside a request), and
an expected refusal (a 4xx) is logged as one line, without the traceback."""

import logging

from apps.core.request_context import get_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id() or "-"
        return True


class RefusalsOneLineFilter(logging.Filter):
    """Drop the traceback of django.request's 4xx records (PermissionDenied, Http404...).

    Django logs the exception of a refused request with its traceback; a 403 is expected
    behaviour, already audited, and its traceback only buries real errors (5xx keep theirs).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
