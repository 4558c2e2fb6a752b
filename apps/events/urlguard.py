"""The outbound-URL guard of webhook sinks: http(s) only, and never to a loopback,
link-local, private, multicast or reserved address (cloud metadata at 169.254.169.254,
the control plane's own services) unless an admin allow-lists the host or network in
K2_EVENTS_WEBHOOK_ALLOWLIST. Checked when a sink is saved and again before each send
(the name may resolve elsewhere by then)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _allowed(host: str, addresses: list) -> bool:
    for entry in settings.K2_EVENTS_WEBHOOK_ALLOWLIST:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower():
            return True
        try:
            net = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if addresses and all(a in net for a in addresses):
            return True
    return False


def _forbidden(address) -> bool:
    return (address.is_loopback or address.is_link_local or address.is_private
            or address.is_multicast or address.is_reserved or address.is_unspecified)  # fmt: skip


def resolve(host: str) -> list:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ValidationError(
            {"url": [_("The host %(host)s does not resolve.") % {"host": host}]}
        ) from exc
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url: str, field: str = "url") -> str:
    """The URL if K2Cloud may send to it; ValidationError naming `field` otherwise."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({field: [_("Enter an http:// or https:// URL.")]})
    host = parts.hostname
    addresses = resolve(host)
    if _allowed(host, addresses):
        return url
    bad = [str(a) for a in addresses if _forbidden(a)]
    if bad:
        raise ValidationError({field: [_(
            "%(host)s is a loopback, link-local or private address (%(addr)s); an admin must "
            "allow-list it in K2_EVENTS_WEBHOOK_ALLOWLIST."
        ) % {"host": host, "addr": ", ".join(bad)}]})  # fmt: skip
    return url
