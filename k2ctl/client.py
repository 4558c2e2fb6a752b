"""The k2ctl API of K2Cloud, over the standard library's HTTP client."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

from k2ctl.i18n import language, t


class K2ctlError(Exception):
    """An error to print in words; `code` is the exit status (kubectl's: 1)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def _context(insecure: bool, ca_file: str | None = None) -> ssl.SSLContext | None:
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    if not insecure:
        return None
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def call(url: str, token: str, method: str, path: str, body: dict | None = None, *,
         insecure: bool = False, ca_file: str | None = None, oauth_errors: bool = False):  # fmt: skip
    """JSON of `method path` on the k2ctl API (None for 204); K2ctlError otherwise.

    Without a token no Authorization is sent (the device login); with `oauth_errors` a 400
    whose body names an RFC 8628 `error` is returned as that body, for the caller to act on.
    """
    if not url.startswith(("https://", "http://")):
        raise K2ctlError(t("Give the K2Cloud address with --url."), 2)
    full = url.rstrip("/") + "/api/v1/k2ctl/" + path.lstrip("/")
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Accept": "application/json", "Content-Type": "application/json",
               "User-Agent": "k2ctl", "Accept-Language": "zh-hans" if language() == "zh" else "en"}  # fmt: skip
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        full, data=data, method=method, headers=headers
    )
    try:
        context = _context(insecure, ca_file)
        with urllib.request.urlopen(request, timeout=30, context=context) as response:  # noqa: S310
            raw = response.read()
            return json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        try:
            payload = json.loads(exc.read() or b"{}")
        except ValueError:
            payload = {}
        if oauth_errors and exc.code == 400 and isinstance(payload.get("error"), str):
            return payload
        message = (payload.get("error") or {}).get("message") if isinstance(
            payload.get("error"), dict) else None  # fmt: skip
        message = message or payload.get("detail") or payload.get("message") or exc.reason
        raise K2ctlError(t("K2Cloud refused the request ({code}): {message}", code=exc.code,
                           message=message)) from exc  # fmt: skip
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise K2ctlError(
            t("Cannot reach K2Cloud at {url}: {error}", url=url, error=reason)
        ) from exc
