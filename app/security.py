"""The HTTP layer's defences: response headers on every answer, the client's address behind proxies, no banner.

- Content-Security-Policy: scripts, styles, fonts and requests from this site only (the pages keep no inline
  script or style; JSON data islands are ``type="application/json"``, which CSP does not run), nothing may frame
  a page (with X-Frame-Options for old browsers), no MIME sniffing, no referrer sent to other sites.
- ``EVALHUB_PROXY_HOPS`` trusted proxies: ``request.remote_addr`` (sign-in throttling, the audit log) is then
  the client's address from ``X-Forwarded-For``.
- The ``Server`` header names no software or version, under Werkzeug (``python run.py``) and gunicorn.
"""
from __future__ import annotations

import sys

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler

SERVER_NAME = "EvalHub"
CSP = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without ``Werkzeug/<version> Python/<version>`` in ``Server``."""

    @property
    def server_version(self) -> str:  # also SERVER_SOFTWARE in the WSGI environ
        return SERVER_NAME

    def version_string(self) -> str:
        return SERVER_NAME


def init_app(app: Flask) -> None:
    """Trust ``PROXY_HOPS`` proxies, add the security headers to every response, quiet gunicorn's banner."""
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    if "gunicorn.http.wsgi" in sys.modules:  # gunicorn writes "Server: gunicorn" from this module's constant
        sys.modules["gunicorn.http.wsgi"].SERVER = SERVER_NAME
