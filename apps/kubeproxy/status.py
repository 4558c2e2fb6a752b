"""Kubernetes `Status` bodies: what kubectl prints as "Error from server (Forbidden): …"."""

from __future__ import annotations

import json

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           413: "RequestEntityTooLarge", 429: "TooManyRequests", 502: "ServiceUnavailable",
           503: "ServiceUnavailable"}  # fmt: skip


def status_body(code: int, message: str, *, rule: str = "") -> bytes:
    status = {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": REASONS.get(code, "InternalError"), "code": code,
    }  # fmt: skip
    if rule:
        status["details"] = {"causes": [{"reason": "K2CloudPolicy", "field": rule,
                                         "message": message}]}  # fmt: skip
    return json.dumps(status).encode()
