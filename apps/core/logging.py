"""Logging helpers: every record carries the request id (or "-" outside a request)."""

import logging

from apps.core.request_context import get_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id() or "-"
        return True
