"""Outbound guard: which model base URLs EvalHub may call."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from app.services import settings


class OutboundRefused(ValueError):
    """The URL is not one EvalHub may call; the message says why."""


def validate_base_url(url: str) -> str:
    """Normalise ``url`` (no trailing slash) after checking its form; raises ``OutboundRefused``."""
    url = (url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(_l("Enter an http(s) URL such as https://api.example.com/v1."))
    if parts.username or parts.password:
        raise OutboundRefused(_l("Put credentials in the API key field, not in the URL."))
    return url


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast \
        or ip.is_unspecified


def check_destination(url: str) -> None:
    """Refuse a URL whose host resolves to a private or loopback address, unless an admin allows them.

    Called when a model is saved and again before each request, so a DNS change cannot slip past it.
    A name that does not resolve passes here: the request itself then fails with its own clear message.
    """
    if settings.allow_private_urls():
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return
    if any(_private(info[4][0]) for info in infos):
        raise OutboundRefused(_l("%(host)s is a private or loopback address, and an administrator has not "
                                 "allowed those (Admin → Settings).", host=host))
