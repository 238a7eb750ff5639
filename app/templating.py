"""Template helpers: time rendering and the language switch."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from markupsafe import Markup, escape

from flask_babel import lazy_gettext as _l

from app.i18n import LANGUAGE_NAMES
from app.services import log_text, runs, stored_text

#: Words stored as data (run states, sample verdicts) shown translated: ``{{ label('queued') }}``.
LABELS = {"queued": _l("queued"), "running": _l("running"), "succeeded": _l("succeeded"), "failed": _l("failed"),
          "cancelled": _l("cancelled"), "correct": _l("correct"), "wrong": _l("wrong"), "error": _l("error"),
          "answered": _l("answered"), "pending": _l("pending"), "unsure": _l("unsure"), "rule": _l("rule"),
          "judge": _l("judge")}
LABELS.update({"improved": _l("improved"), "regressed": _l("regressed"), "within noise": _l("within noise"),
               "no verdict": _l("no verdict")})


def format_time(value: datetime | None) -> Markup:
    """``<time>`` holding UTC; static/js/app.js rewrites it in the reader's own time zone."""
    if value is None:
        return Markup("&mdash;")
    iso = value.isoformat()
    text = value.strftime("%Y-%m-%d %H:%M UTC")
    return Markup(f'<time datetime="{escape(iso)}" data-local>{escape(text)}</time>')


def init_app(app: Flask) -> None:
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["stored"] = stored_text.translate
    app.jinja_env.filters["readable"] = log_text.readable_text
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    app.jinja_env.globals["queue_note"] = runs.queue_note  # why a queued run waits (read now, never stored)
    app.jinja_env.globals["label"] = lambda word: LABELS.get(word, word)
    app.jinja_env.globals["labels"] = lambda: {word: str(text) for word, text in LABELS.items()}  # for scripts

    @app.context_processor
    def globals_():
        from flask_babel import get_locale
        return {"language_names": LANGUAGE_NAMES, "current_locale": str(get_locale())}
