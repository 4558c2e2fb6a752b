"""Outbound calls to registry URLs: refuse loopback, link-local and private addresses
(a registered URL must not become a way to reach the control plane's own network)
unless the host is in K2_REGISTRY_ALLOWED_HOSTS. K2Cloud had no shared allow-list helper
for outbound URLs; this one is small and may become it."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class RefusedURL(ValueError):
    """The URL's host resolves to an address K2Cloud does not call."""


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedURL(_("The URL must be http:// or https:// with a host."))
    host = parts.hostname
    allowed = set(settings.K2_REGISTRY_ALLOWED_HOSTS)
    if host in allowed:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise RefusedURL(_("The host %(host)s does not resolve.") % {"host": host}) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if str(address) in allowed:
            continue
        if (address.is_loopback or address.is_link_local or address.is_private
                or address.is_unspecified or address.is_multicast or address.is_reserved):  # fmt: skip
            raise RefusedURL(
                _("The host %(host)s resolves to %(address)s, a loopback, link-local or private "
                  "address; add it to K2_REGISTRY_ALLOWED_HOSTS to allow it.")
                % {"host": host, "address": address}
            )  # fmt: skip
