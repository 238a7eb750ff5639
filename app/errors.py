"""Error pages: HTML for people, JSON under ``/api/``."""
from __future__ import annotations

from flask import Flask, render_template, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, NotFound

from app.extensions import db

PAGES = {403: "errors/403.html", 404: "errors/404.html", 500: "errors/500.html"}


#: A page that needs nothing (no template, no user, no database) for when the database does not answer.
UNAVAILABLE = ("<!doctype html><meta charset=utf-8><title>EvalHub: unavailable</title>"
               "<h1>EvalHub is unavailable for a moment</h1><p>The database does not answer right now. "
               "Try again in a minute.</p>")


def _database_unreachable(exc: Exception) -> bool:
    """A connection that could not be made, timed out or was lost (not a bad query)."""
    if isinstance(exc, PoolTimeout):
        return True
    return bool(getattr(exc, "connection_invalidated", False)) or type(exc).__name__ == "OperationalError"


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
        if isinstance(exc, (DBAPIError, PoolTimeout)) and _database_unreachable(exc):
            app.logger.error("Database unreachable on %s %s: %s", request.method, request.path, exc)
            if _wants_json():
                from app.api.errors import error_response
                return error_response(503, "database_unavailable",
                                      "The database does not answer right now; try again in a minute.")
            return UNAVAILABLE, 503, {"Content-Type": "text/html; charset=utf-8", "Retry-After": "30"}
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            from app.api.errors import error_response
            return error_response(500, "internal_error", "Something went wrong on our side. It is logged.")
        return render_template("errors/500.html"), 500
