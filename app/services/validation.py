"""Field checks shared by the services that validate form and API input (one message per problem)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def number(raw: Any, kind, low: float, high: float, field: str, errors: dict, default=None):
    """``raw`` (text or number) as ``kind`` (int or float) within [low, high]; ``default`` when blank.

    A problem is written to ``errors[field]`` (and ``None`` returned), so a form can show every problem at once.
    """
    if is_blank(raw):
        return default
    try:
        if isinstance(raw, bool) or (kind is int and isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(raw)
        value = kind(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        errors[field] = str(_l("Must be a number.") if kind is float else _l("Must be a whole number."))
        return None
    if not low <= value <= high:
        errors[field] = str(_l("Must be between %(low)s and %(high)s.", low=low, high=high))
        return None
    return value
