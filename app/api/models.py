"""API: the model registry (``/api/v1/models``)."""
from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.errors import ApiError
from app.api.openapi import add_paths
from app.extensions import db
from app.services import endpoint_check, endpoints


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Send a JSON object (Content-Type: application/json).")
    unknown = set(data) - set(endpoints.FIELDS) - {"system"}
    if unknown:
        raise ApiError(422, "invalid", "Unknown fields.", {k: "Unknown field." for k in sorted(unknown)})
    return data


@bp.route("/models")
def list_models():
    page = db.paginate(endpoints.search(g.api_user, request.args.get("q", "")), max_per_page=100)
    return jsonify({"items": [endpoints.to_json(m) for m in page.items], "page": page.page,
                    "pages": page.pages, "total": page.total})


@bp.route("/models", methods=["POST"])
def create_model():
    data = _body()
    system = bool(data.pop("system", False))
    if system and not g.api_user.is_admin:
        raise ApiError(403, "forbidden", "Only administrators create system models.")
    try:
        endpoint = endpoints.create(g.api_user, data, system=system)
    except endpoints.EndpointInvalid as exc:
        raise ApiError(422, "invalid", "Some fields are invalid.", exc.errors) from exc
    return jsonify(endpoints.to_json(endpoint)), 201


@bp.route("/models/<int:endpoint_id>")
def get_model(endpoint_id: int):
    return jsonify(endpoints.to_json(endpoints.get_visible(g.api_user, endpoint_id)))


@bp.route("/models/<int:endpoint_id>", methods=["PATCH"])
def update_model(endpoint_id: int):
    endpoint = endpoints.get_editable(g.api_user, endpoint_id)
    data = _body()
    if "system" in data:
        raise ApiError(422, "invalid", "A model cannot change between system and personal.",
                       {"system": "Read-only."})
    try:
        endpoints.update(endpoint, data, g.api_user)
    except endpoints.EndpointInvalid as exc:
        raise ApiError(422, "invalid", "Some fields are invalid.", exc.errors) from exc
    return jsonify(endpoints.to_json(endpoint))


@bp.route("/models/<int:endpoint_id>", methods=["DELETE"])
def delete_model(endpoint_id: int):
    endpoints.delete(endpoints.get_editable(g.api_user, endpoint_id), g.api_user)
    return "", 204


@bp.route("/models/<int:endpoint_id>/check", methods=["POST"])
def check_model(endpoint_id: int):
    endpoint = endpoints.get_visible(g.api_user, endpoint_id)
    result = endpoint_check.run_check(endpoint)
    return jsonify({"ok": result.ok, "message": result.message, "ttft_ms": result.ttft_ms,
                    "latency_ms": result.latency_ms, "model_listed": result.model_listed})


_MODEL_PROPS = {
    "name": {"type": "string", "maxLength": 128}, "base_url": {"type": "string", "format": "uri"},
    "model_name": {"type": "string"}, "api_key": {"type": ["string", "null"], "writeOnly": True},
    "temperature": {"type": ["number", "null"], "minimum": 0, "maximum": 2},
    "max_tokens": {"type": ["integer", "null"], "minimum": 1},
    "top_p": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    "extra_body": {"type": ["object", "null"]}, "max_concurrency": {"type": "integer", "minimum": 1},
    "judge": {"type": "boolean"}, "notes": {"type": ["string", "null"]},
    "price_input_per_m": {"type": ["number", "null"], "minimum": 0, "maximum": 1000000,
                          "description": "Price per million input (prompt) tokens; null: unknown"},
    "price_output_per_m": {"type": ["number", "null"], "minimum": 0, "maximum": 1000000,
                           "description": "Price per million output (completion) tokens; null: unknown"},
}
_ERR = {"$ref": "#/components/responses/Unauthorized"}
_ONE = {"description": "The model", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Model"}}}}
_INVALID = {"description": "Invalid fields (see error.fields)"}
add_paths({
    "/models": {
        "get": {"summary": "Models you may use (system and yours)", "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string"}},
            {"name": "page", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "A page of models"}, "401": _ERR}},
        "post": {"summary": "Register a model", "requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ModelInput"}}}},
            "responses": {"201": _ONE, "401": _ERR, "422": _INVALID}}},
    "/models/{id}": {
        "get": {"summary": "One model", "responses": {"200": _ONE, "404": {"description": "Not yours"}}},
        "patch": {"summary": "Change fields (absent api_key keeps it; null removes it)",
                  "responses": {"200": _ONE, "403": {"description": "A system model"}, "422": _INVALID}},
        "delete": {"summary": "Delete (history keeps its name)", "responses": {"204": {"description": "Deleted"}}}},
    "/models/{id}/check": {"post": {"summary": "Test the connection", "responses": {"200": {
        "description": "ok, message, ttft_ms, latency_ms, model_listed"}}}},
}, schemas={
    "ModelInput": {"type": "object", "required": ["name", "base_url", "model_name"],
                   "properties": dict(_MODEL_PROPS, system={"type": "boolean"})},
    "Model": {"type": "object", "properties": dict(
        {k: v for k, v in _MODEL_PROPS.items() if k != "api_key"}, id={"type": "integer"},
        system={"type": "boolean"}, api_key_set={"type": "boolean"}, last_check={"type": ["object", "null"]})},
})
