"""Building test apps."""
from __future__ import annotations

from flask import g, has_app_context
from flask.testing import FlaskClient

from app import create_app
from config import TestConfig


class RequestScopedClient(FlaskClient):
    """A test client whose requests start with an empty ``g``, as each real request does.

    Tests keep one app context open (to use ``db.session``); Flask reuses it for requests, so without this the
    signed-in user cached in ``g`` would leak from one client's request to another's.
    """

    def open(self, *args, **kwargs):
        for key in list(g) if has_app_context() else ():
            g.pop(key)
        return super().open(*args, **kwargs)


def make_app(env, **overrides):
    application = create_app(TestConfig(env, **overrides))
    application.test_client_class = RequestScopedClient
    return application


def csrf_token_in(html: str | bytes) -> str:
    """The CSRF token of the first form on a page."""
    import re
    text = html.decode() if isinstance(html, bytes) else html
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', text).group(1)
