"""Rate limits of the API, counted in the Redis cache (shared by every replica).

- every request: a budget per personal access token (per user for a session, per address
  for the anonymous), rate "api";
- expensive writes: a view maps its actions to a budget in `throttle_scopes`
  (`{"create": "token-create"}`), spent by those actions only.

A refused request gets 429 in the JSON error envelope with Retry-After.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class _LiveRates(SimpleRateThrottle):
    """Read the rates when a request comes, not when the class is imported (tests and
    settings overrides change them)."""

    def __init__(self):
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        super().__init__()


def _who(throttle, request) -> str:
    token = getattr(request, "auth", None)
    token_id = getattr(token, "pk", None)
    if token_id is not None:
        return f"token:{token_id}"
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{throttle.get_ident(request)}"


class TokenRateThrottle(_LiveRates):
    """The API budget of one token (or session user, or anonymous address)."""

    scope = "api"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": _who(self, request)}


class ActionScopedRateThrottle(_LiveRates):
    """The budget `view.throttle_scopes` names for the view's action, if any."""

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scopes", {}).get(getattr(view, "action", None))
        if not scope or request.method in SAFE_METHODS:
            return True
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        return self.THROTTLE_RATES.get(getattr(self, "scope", None) or "", None)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": _who(self, request)}


class _PortalThrottle(ActionScopedRateThrottle):
    """The same budget as the API's, for the portal form that does the same write."""

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)


def portal_wait(request, scope: str) -> int | None:
    """None when the signed-in user may spend one more of `scope` now (and spends it);
    otherwise the seconds to wait. Portal and API share the budget: one person, one limit."""
    throttle = _PortalThrottle(scope)
    if throttle.rate is None or SimpleRateThrottle.allow_request(throttle, request, None):
        return None
    return max(1, int(throttle.wait() or 1))
