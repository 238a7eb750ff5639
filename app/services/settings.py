"""Run-time settings that admins change on the admin page (defaults come from config.py)."""
from __future__ import annotations

from typing import Any

from flask import current_app

from app.extensions import db
from app.models import AppSetting, User
from app.services import audit

ALLOW_PRIVATE_URLS = "allow_private_urls"


def get(key: str, default: Any = None) -> Any:
    row = db.session.get(AppSetting, key)
    return default if row is None else row.value


def put(key: str, value: Any, actor: User) -> None:
    row = db.session.get(AppSetting, key)
    if row is None:
        db.session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
    audit.record("setting.change", actor, detail=f"{key}={value!r}")
    db.session.commit()


def allow_private_urls() -> bool:
    """Whether model base URLs may resolve to private, loopback or link-local addresses."""
    return bool(get(ALLOW_PRIVATE_URLS, current_app.config["ALLOW_PRIVATE_URLS"]))
