"""Webhook sinks' URLs go through the shared guard (apps/core/outbound.py), allow-listed
by K2_EVENTS_WEBHOOK_ALLOWLIST; a refusal is a ValidationError naming the field, for the
forms and the API."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.core import outbound


def check_url(url: str, field: str = "url") -> str:
    """The URL if K2Cloud may send to it; ValidationError naming `field` otherwise."""
    try:
        return outbound.check_url(url, "K2_EVENTS_WEBHOOK_ALLOWLIST")
    except outbound.RefusedURL as exc:
        raise ValidationError({field: [str(exc)]}) from exc
