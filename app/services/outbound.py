"""Outbound guard: which model base URLs EvalHub may call, checked at request time by one function, ``guard``.

Every request to a model goes through ``guard(endpoint)`` first: the SDK client (model check, chat, a benchmark's
test request), evaluation submit / resume / re-run, and the worker before it starts an evaluation's engine. The
clients never follow redirects (``endpoint_client.client_for`` and the engine drivers), and the web and worker
processes' own clients connect only to an address checked at connect time (``pin_checked_addresses``), so a DNS
answer that changes after the check (rebinding) cannot lead them to a forbidden address either.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpcore
import httpx
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
        raise OutboundRefused(_refusal(host))


def _refusal(host: str) -> str:
    return str(_l("%(host)s is a private or loopback address, and an administrator has not allowed those "
                  "(Admin → Settings).", host=host))


def guard(endpoint, name: str | None = None) -> None:
    """The request-time check before EvalHub calls ``endpoint`` (a ``ModelEndpoint``): refuses a deleted model (its
    address must not be called again, by a resumed run either) and a destination ``check_destination`` refuses.
    ``name`` names a model whose row is gone (``endpoint`` None). Raises ``OutboundRefused`` with the reason."""
    if endpoint is None or endpoint.deleted_at is not None:
        name = getattr(endpoint, "name", None) or name or "?"
        raise OutboundRefused(_l("The model %(name)s was deleted: EvalHub does not call it any more.", name=name))
    check_destination(endpoint.base_url)


class DestinationRefused(httpcore.ConnectError):
    """A connection refused by the guard at connect time; the message is the guard's refusal."""


class _CheckedBackend(httpcore.SyncBackend):
    """Resolves the host itself, refuses it when any address is private or loopback, and connects to the address
    it checked (TLS still verifies the host name: httpcore passes the origin's name to ``start_tls``)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        if any(_private(info[4][0]) for info in infos):
            raise DestinationRefused(_refusal(host))
        return super().connect_tcp(infos[0][4][0], port, timeout, local_address, socket_options)


def pin_checked_addresses(client: httpx.Client) -> httpx.Client:
    """Make ``client``'s direct connections go through the connect-time check, unless an administrator allows
    private addresses (then there is nothing to check). Proxied connections (HTTP(S)_PROXY) go to the proxy."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    if not settings.allow_private_urls() and isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = _CheckedBackend()
    return client
