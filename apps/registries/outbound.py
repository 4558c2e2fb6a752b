"""Outbound calls to registry URLs go through the shared guard (apps/core/outbound.py),
allow-listed by K2_REGISTRY_ALLOWED_HOSTS."""

from __future__ import annotations

from apps.core import outbound
from apps.core.outbound import RefusedURL

__all__ = ["RefusedURL", "check_url"]


def check_url(url: str) -> None:
    outbound.check_url(url, "K2_REGISTRY_ALLOWED_HOSTS")
