"""The HTTP client of registry backends (urllib3): basic auth, timeouts, the outbound
address check, JSON bodies, a count of calls for the run report and the bench."""

from __future__ import annotations

import json
import threading

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from apps.registries.backends import RegistryError
from apps.registries.outbound import check_url


class Client:
    def __init__(self, registry) -> None:
        self.base = registry.url.rstrip("/")
        check_url(self.base)
        self.headers = urllib3.make_headers(
            basic_auth=f"{registry.username}:{registry.password}" if registry.username else None
        )
        self.pool = urllib3.PoolManager(
            maxsize=8,
            timeout=urllib3.Timeout(total=settings.K2_REGISTRY_TIMEOUT_SECONDS),
            retries=urllib3.Retry(total=2, connect=2, read=1, status=0, allowed_methods=["GET", "HEAD"]),
        )  # fmt: skip
        self.calls = 0
        self._lock = threading.Lock()  # repositories are listed in parallel

    def request(self, method: str, path: str, *, fields=None, headers=None, body=None,
                ok=(200,)) -> urllib3.BaseHTTPResponse:  # fmt: skip
        url = path if path.startswith("http") else self.base + path
        with self._lock:
            self.calls += 1
        data = json.dumps(body).encode() if body is not None else None
        sent = {**self.headers, **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        try:
            response = self.pool.request(method, url, fields=fields, headers=sent, body=data,
                                         redirect=False)  # fmt: skip
        except urllib3.exceptions.HTTPError as exc:
            raise RegistryError(_("%(method)s %(url)s failed: %(error)s")
                                % {"method": method, "url": url, "error": exc}) from exc  # fmt: skip
        if response.status in (401, 403):
            raise RegistryError(_("The registry refused the credentials (HTTP %(status)s).")
                                % {"status": response.status})  # fmt: skip
        if response.status not in ok:
            raise RegistryError(_("%(method)s %(url)s answered HTTP %(status)s: %(body)s") % {
                "method": method, "url": url, "status": response.status,
                "body": response.data[:200].decode(errors="replace")})  # fmt: skip
        return response

    def json(self, method: str, path: str, **kw):
        return json.loads(self.request(method, path, **kw).data or b"null")


class HttpBackend:
    """What every HTTP registry backend shares: its client and the count of API calls."""

    def __init__(self, registry) -> None:
        self.http = Client(registry)

    @property
    def api_calls(self) -> int:
        return self.http.calls
