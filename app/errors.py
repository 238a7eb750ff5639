"""Error pages: HTML for people, JSON under ``/api/``."""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, NotFound

from app.extensions import db

PAGES = {403: "errors/403.html", 404: "errors/404.html", 500: "errors/500.html"}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _beyond_sqlite_integers(exc: Exception) -> bool:
    """SQLite refuses to bind an integer past 64 bits (``?version=99999999999999999999``, an id in a URL)."""
    return isinstance(exc, OverflowError) and "SQLite INTEGER" in str(exc)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _wants_json():
            from app.api.errors import error_response
            return error_response(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"),
                                  exc.description or exc.name)
        template = PAGES.get(exc.code, "errors/generic.html")
        return render_template(template, error=exc), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if _beyond_sqlite_integers(exc):  # such an id names no row: answer as MySQL's empty result does
            db.session.rollback()
            return http_error(NotFound())
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            from app.api.errors import error_response
            return error_response(500, "internal_error", "Something went wrong on our side. It is logged.")
        return render_template("errors/500.html"), 500
