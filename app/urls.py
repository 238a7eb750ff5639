"""URL helpers shared by blueprints."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: str | None, default_endpoint: str = "main.dashboard") -> str:
    """``target`` when it is a same-site relative path, else the default page (no open redirects)."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return url_for(default_endpoint)
