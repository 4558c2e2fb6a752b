"""The outbound-URL guard of every call K2Cloud makes to a URL a person typed (webhook
sinks, registries): http(s) only, and never to a loopback, link-local, private, multicast
or reserved address (cloud metadata at 169.254.169.254, the control plane's own network)
unless the host, the address or a network (CIDR) containing it is allow-listed by the
setting the caller names. Callers check when the URL is saved and again before each call
(the name may resolve elsewhere by then)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class RefusedURL(ValueError):
    """K2Cloud does not call this URL (the message says why, in words)."""


def _forbidden(address) -> bool:
    return (address.is_loopback or address.is_link_local or address.is_private
            or address.is_multicast or address.is_reserved or address.is_unspecified)  # fmt: skip


def _networks(entries) -> list:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue  # a host name: matched as such
    return networks


def resolve(host: str) -> list:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise RefusedURL(_("The host %(host)s does not resolve.") % {"host": host}) from exc
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url: str, allow_setting: str) -> str:
    """`url` if K2Cloud may call it; RefusedURL otherwise. `allow_setting` names the
    setting (a list) whose hosts, addresses and networks are allowed although local."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedURL(_("The URL must be http:// or https:// with a host."))
    host = parts.hostname
    entries = [e.strip().lower() for e in getattr(settings, allow_setting) if e.strip()]
    if host.lower() in entries:
        return url
    networks = _networks(entries)
    for address in resolve(host):
        if _forbidden(address) and not any(address in net for net in networks):
            raise RefusedURL(
                _("The host %(host)s resolves to %(address)s, a loopback, link-local or private "
                  "address; add it to %(setting)s to allow it.")
                % {"host": host, "address": address, "setting": allow_setting}
            )  # fmt: skip
    return url
