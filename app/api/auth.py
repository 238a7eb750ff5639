"""Bearer-token authentication for every API view (except the OpenAPI document)."""
from __future__ import annotations

from flask import g, request

from app.api import bp
from app.api.errors import error_response
from app.services import tokens

PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def authenticate():
    """Set ``g.api_user`` from ``Authorization: Bearer <token>``, or answer 401."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return _unauthorized("Missing bearer token: send 'Authorization: Bearer <token>'.")
    user = tokens.user_for_token(value.strip())
    if user is None:
        return _unauthorized("The token is invalid or revoked.")
    g.api_user = user
    return None


def _unauthorized(message: str):
    response, status = error_response(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="evalhub"'
    return response, status
