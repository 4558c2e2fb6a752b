"""UsageMiddleware: one usage event per portal or API request, queued off the request path.

Placed right after RequestIdMiddleware so the latency covers the whole request. The work
done per request is a few attribute reads, a (cached) IP truncation, a json.dumps and an
append to the process's batch, which reaches Redis in one LPUSH per 50 events or per
second (apps/analytics/buffer.py). The feature name is resolved here, since the resolver
match is at hand; opt-outs, space → environment and the database write happen in the drain
task.
"""

import time

from django.conf import settings
from django.utils import timezone

from apps.analytics import buffer
from apps.analytics.choices import EventKind, Source
from apps.analytics.features import resolve_feature
from apps.analytics.privacy import excluded_usernames, truncate_ip

ALWAYS_SKIPPED = ("/healthz", "/readyz", "/metrics", "/favicon.ico", "/jsi18n/")


def _skipped_prefixes() -> tuple[str, ...]:
    static = getattr(settings, "STATIC_URL", "/static/") or "/static/"
    media = getattr(settings, "MEDIA_URL", "") or ""
    extra = tuple(settings.K2_ANALYTICS_SKIP_PATHS)
    prefixes = [static if static.startswith("/") else f"/{static}", *ALWAYS_SKIPPED, *extra]
    if media and media != "/":
        prefixes.append(media)
    return tuple(prefixes)


def _space_slug(match) -> str:
    """The space of a URL: its kwargs name it slug (spaces), space_slug or space (apps)."""
    if match.view_name.startswith(("spaces:", "api:space-")):
        return match.kwargs.get("slug", "") or match.kwargs.get("space_slug", "")
    for key in ("space_slug", "space"):
        if match.kwargs.get(key):
            return str(match.kwargs[key])
    return ""


class UsageMiddleware:
    """Record user, feature, method, status, latency and space of every counted request."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = settings.K2_ANALYTICS_ENABLED
        self.skipped = _skipped_prefixes()
        self.excluded = excluded_usernames()

    def __call__(self, request):
        if not self.enabled or request.path_info.startswith(self.skipped):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        latency_ms = (time.perf_counter() - started) * 1000
        try:
            self._record(request, response, latency_ms)
        except Exception:  # never let bookkeeping turn a served page into a 500
            buffer.dropped += 1
        return response

    def _record(self, request, response, latency_ms: float) -> None:
        match = getattr(request, "resolver_match", None)
        if match is None or not match.view_name:
            return  # unrouted 404s are scanners and typos, not features
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        if user_id is not None and user.get_username() in self.excluded:
            return
        method = request.method or ""
        event = {
            "kind": EventKind.REQUEST,
            "at": timezone.now().isoformat(),
            "user": user_id,
            "feature": resolve_feature(match, method),
            "route": match.view_name[:100],
            "source": Source.API if match.view_name.startswith("api:") else Source.PORTAL,
            "method": method[:8],
            "status": response.status_code,
            "latency_ms": round(latency_ms, 3),
            "space": _space_slug(match)[:63],
            "ip": truncate_ip(request.META.get("REMOTE_ADDR")),
            "request_id": getattr(request, "request_id", "") or "",
        }
        buffer.push(event)
