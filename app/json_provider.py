"""The app's JSON provider: request bodies (``request.get_json``) are parsed within ``MAX_DEPTH`` levels, so a
small deeply nested body is a 400 "bad JSON" instead of a RecursionError (a 500) or a long parse."""
from __future__ import annotations

from flask.json.provider import DefaultJSONProvider

from app.services.datasets import limits


class BoundedJSONProvider(DefaultJSONProvider):
    """``DefaultJSONProvider`` whose ``loads`` refuses nesting past ``limits.MAX_DEPTH`` with a ``ValueError``."""

    def loads(self, s, **kwargs):
        limits.check_json_depth(s)
        return super().loads(s, **kwargs)
