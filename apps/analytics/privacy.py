"""Privacy rules: truncated client addresses, excluded people, retention periods."""

import ipaddress
import time
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model

from apps.analytics.models import AnalyticsOptOut


def truncate_ip(value: str | None) -> str | None:
    """Keep the network only: /24 for IPv4, /48 for IPv6 (prefixes configurable)."""
    if not value:
        return None
    return _truncate(
        value,
        settings.K2_ANALYTICS_IPV4_PREFIX,
        settings.K2_ANALYTICS_IPV6_PREFIX,
    )


@lru_cache(maxsize=4096)  # the same few thousand clients come back all day (~25 µs saved)
def _truncate(value: str, prefix4: int, prefix6: int) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    prefix = prefix4 if address.version == 4 else prefix6
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def excluded_usernames() -> frozenset[str]:
    """Usernames from K2_ANALYTICS_EXCLUDED_USERS (a list, or a comma-separated string)."""
    raw = settings.K2_ANALYTICS_EXCLUDED_USERS
    if isinstance(raw, str):
        raw = raw.split(",")
    return frozenset(name.strip() for name in raw if name and name.strip())


def excluded_user_ids() -> set[int]:
    """Every excluded person: the setting's usernames plus those with an opt-out flag."""
    ids = set(AnalyticsOptOut.objects.values_list("user_id", flat=True))
    names = excluded_usernames()
    if names:
        ids |= set(get_user_model().objects.filter(username__in=names).values_list("id", flat=True))
    return ids


_cached: dict = {"at": -1e9, "ids": frozenset()}
CACHE_SECONDS = 60


def cached_excluded_user_ids() -> frozenset[int]:
    """excluded_user_ids(), re-read at most once a minute per process (emit() is on hot paths)."""
    if time.monotonic() - _cached["at"] > CACHE_SECONDS:
        _cached["ids"] = frozenset(excluded_user_ids())
        _cached["at"] = time.monotonic()
    return _cached["ids"]


def forget_cached_exclusions() -> None:
    _cached["at"] = -1e9


def retention_days() -> int:
    """How long raw events are kept (rollups are kept far longer)."""
    return settings.K2_ANALYTICS_RETENTION_DAYS


def rollup_retention_days() -> int:
    return settings.K2_ANALYTICS_ROLLUP_RETENTION_DAYS
