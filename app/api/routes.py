"""API: the caller (``/me``) and the OpenAPI document."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp
from app.api.openapi import add_paths, document


def user_json(user) -> dict:
    return {"id": user.id, "username": user.username, "role": user.role,
            "created_at": user.created_at.isoformat()}


@bp.route("/me")
def me():
    return jsonify(user_json(g.api_user))


@bp.route("/openapi.json")
def openapi():
    return jsonify(document())


add_paths({
    "/me": {"get": {
        "summary": "The user the token belongs to",
        "responses": {"200": {"description": "The user", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/User"}}}},
            "401": {"$ref": "#/components/responses/Unauthorized"}}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
}, schemas={"User": {"type": "object", "properties": {
    "id": {"type": "integer"}, "username": {"type": "string"},
    "role": {"type": "string", "enum": ["admin", "user"]}, "created_at": {"type": "string", "format": "date-time"}}}})
