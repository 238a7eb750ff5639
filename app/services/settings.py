"""Run-time settings that admins change on the admin page (defaults come from config.py).

Reads are cached per process for ``CACHE_SECONDS`` (a chat turn reads one on its way to the first token): a change
applies at once in the process that made it and within that time in the others. RQ jobs run in freshly forked work
horses, whose cache starts empty.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app

from app.extensions import db
from app.models import AppSetting, User
from app.services import audit

ALLOW_PRIVATE_URLS = "allow_private_urls"
CACHE_SECONDS = 5.0
_MISSING = object()
_lock = threading.Lock()


def _cache() -> dict:
    return current_app.extensions.setdefault("evalhub.settings", {})


def get(key: str, default: Any = None) -> Any:
    now = time.monotonic()
    with _lock:
        value, until = _cache().get(key, (_MISSING, 0.0))
    if until <= now:
        row = db.session.get(AppSetting, key)
        value = _MISSING if row is None else row.value
        with _lock:
            _cache()[key] = (value, now + CACHE_SECONDS)
    return default if value is _MISSING else value


def put(key: str, value: Any, actor: User) -> None:
    row = db.session.get(AppSetting, key)
    if row is None:
        db.session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
    audit.record("setting.change", actor, detail=f"{key}={value!r}")
    db.session.commit()
    with _lock:
        _cache().pop(key, None)


def allow_private_urls() -> bool:
    """Whether model base URLs may resolve to private, loopback or link-local addresses."""
    return bool(get(ALLOW_PRIVATE_URLS, current_app.config["ALLOW_PRIVATE_URLS"]))
