"""JSON errors of the API."""
from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException

from app.api import bp


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """``{"error": {"code", "message", "fields"}}`` with HTTP ``status``."""
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status


class ApiError(Exception):
    """Raise from an API view to answer a JSON error."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


@bp.errorhandler(ApiError)
def handle_api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.fields)


@bp.errorhandler(HTTPException)
def handle_http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    return error_response(exc.code or 500, code, exc.description or exc.name)
