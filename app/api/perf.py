"""API: benchmarks (``/api/v1/perf``). ``POST`` takes the page's form as JSON, or the body of EvalScope's own
service (``model``, ``url``, ``parallel``...); ``"wait": true`` answers when the run has finished."""
from __future__ import annotations

import time

from flask import current_app, g, jsonify, request

from app.api import bp
from app.api.errors import ApiError
from app.api.openapi import add_paths
from app.extensions import db
from app.models import PerfRun
from app.models.run import STATUSES
from app.queues import QueueUnavailable
from app.services import perf, perf_queue
from app.services.perf_report import run_json

FORM_KEYS = {"endpoint_id", "prompt_source", "dataset_id", "prompt_length", "concurrency", "number", "rate",
             "max_tokens", "stream", "temperature", "timeout_minutes", "sleep_interval"}


def _invalid(errors: dict) -> ApiError:
    return ApiError(422, "invalid", "Some fields are invalid.", errors)


def _form(data: dict) -> dict:
    """The page's form values from either kind of body."""
    if "endpoint_id" in data:
        unknown = set(data) - FORM_KEYS
        if unknown:
            raise _invalid({k: "Unknown field." for k in sorted(unknown)})
        return data
    unknown = set(data) - perf.EVALSCOPE_KEYS
    if unknown:
        raise _invalid({k: "Not supported by EvalHub." for k in sorted(unknown)})
    return perf.from_evalscope(data, g.api_user)


def _wait(run: PerfRun) -> PerfRun:
    """Poll the row until the run has finished (or its time limit and a margin have passed)."""
    deadline = time.monotonic() + run.params["timeout_seconds"] + 600
    while time.monotonic() < deadline:
        db.session.rollback()
        run = db.session.get(PerfRun, run.id)
        if not run.is_active:
            break
        time.sleep(1.0)
    return run


@bp.route("/perf", methods=["POST"])
def create_perf():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Send a JSON object (Content-Type: application/json).")
    data = dict(data)
    wait = data.pop("wait", False)
    if not isinstance(wait, bool):
        raise _invalid({"wait": "Must be true or false."})
    try:
        endpoint, params = perf.validate(_form(data), g.api_user)
        run = perf_queue.submit(g.api_user, endpoint, params)
    except perf.PerfInvalid as exc:
        raise _invalid(exc.errors) from exc
    except QueueUnavailable as exc:
        raise ApiError(503, "queue_unavailable", str(exc)) from exc
    if wait:
        run = _wait(run)
    return jsonify(run_json(run)), 201


@bp.route("/perf")
def list_perf():
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise _invalid({"status": f"One of {', '.join(STATUSES)}."})
    model = request.args.get("model_id", type=int)
    page = db.paginate(perf.history(g.api_user, status, model, request.args.get("q", "")), max_per_page=100,
                       per_page=current_app.config["PER_PAGE"])
    return jsonify({"items": [run_json(r, levels=False) for r in page.items], "page": page.page,
                    "pages": page.pages, "total": page.total})


@bp.route("/perf/<int:run_id>")
def get_perf(run_id: int):
    return jsonify(run_json(perf.get_visible(g.api_user, run_id)))


@bp.route("/perf/<int:run_id>/cancel", methods=["POST"])
def cancel_perf(run_id: int):
    run = perf.get_visible(g.api_user, run_id)
    if not run.is_active:
        raise ApiError(409, "finished", f"Benchmark #{run.id} has already finished ({run.status}).")
    state = perf_queue.cancel(run, g.api_user)
    return jsonify({"state": state, "run": run_json(run, levels=False)})


_RUN = {"description": "The benchmark", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/PerfRun"}}}}
_ERR = {"$ref": "#/components/responses/Unauthorized"}
add_paths({
    "/perf": {
        "get": {"summary": "Your benchmarks, newest first", "parameters": [
            {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
            {"name": "model_id", "in": "query", "schema": {"type": "integer"}},
            {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "Part of the model's name"},
            {"name": "page", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "A page of benchmarks (without levels)"}, "401": _ERR}},
        "post": {"summary": "Start a benchmark (evalscope perf): a sweep over concurrency levels",
                 "description": "Either the form (`endpoint_id`, ...) or the body of EvalScope's service "
                                "(`model`, `url`, `api`, `api_key`, `number`, `parallel`, `rate`, `dataset`, "
                                "`max_tokens`, `temperature`, `stream`): the model is then one of yours with that "
                                "URL, name and key, or is registered for you. `\"wait\": true` answers when the run "
                                "has finished. One run per model runs at a time; later ones wait (`waiting`).",
                 "requestBody": {"content": {"application/json": {"schema": {"oneOf": [
                     {"$ref": "#/components/schemas/PerfInput"},
                     {"$ref": "#/components/schemas/PerfEvalscopeInput"}]}}}},
                 "responses": {"201": _RUN, "401": _ERR, "422": {"description": "Invalid fields"},
                               "503": {"description": "The job queue is unreachable"}}}},
    "/perf/{id}": {"get": {"summary": "One benchmark with its levels", "responses": {
        "200": _RUN, "404": {"description": "Not yours"}}}},
    "/perf/{id}/cancel": {"post": {"summary": "Cancel a queued or running benchmark (finished levels are kept)",
                                   "responses": {"200": {"description": "state: cancelled or cancelling"},
                                                 "409": {"description": "Already finished"}}}},
}, schemas={
    "PerfInput": {"type": "object", "required": ["endpoint_id"], "properties": {
        "endpoint_id": {"type": "integer"},
        "prompt_source": {"type": "string", "enum": ["synthetic", "dataset"], "default": "synthetic"},
        "dataset_id": {"type": "integer"}, "prompt_length": {"type": "integer", "default": 128},
        "concurrency": {"type": "array", "items": {"type": "integer", "minimum": 1}, "default": [1, 4]},
        "number": {"oneOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}],
                   "default": 20, "description": "Requests per level (one for all, or one per level)"},
        "rate": {"type": ["number", "null"], "description": "Requests per second; null: no limit"},
        "max_tokens": {"type": "integer", "default": 256}, "stream": {"type": "boolean", "default": True},
        "temperature": {"type": "number", "default": 0}, "timeout_minutes": {"type": "integer", "default": 30},
        "sleep_interval": {"type": "integer", "default": 5, "description": "Seconds between levels"},
        "wait": {"type": "boolean", "default": False}}},
    "PerfEvalscopeInput": {"type": "object", "required": ["model", "url"], "properties": {
        "model": {"type": "string"}, "url": {"type": "string", "description": ".../v1 or .../v1/chat/completions"},
        "api": {"type": "string", "enum": ["openai"]}, "api_key": {"type": "string", "writeOnly": True},
        "number": {"oneOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]},
        "parallel": {"oneOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]},
        "rate": {"type": "number"}, "dataset": {"oneOf": [{"type": "string"}, {"type": "integer"}],
                                                "description": "random (synthetic), or your dataset's id or name"},
        "max_tokens": {"type": "integer"}, "temperature": {"type": "number"}, "stream": {"type": "boolean"},
        "wait": {"type": "boolean"}}},
    "PerfRun": {"type": "object", "properties": {
        "id": {"type": "integer"}, "status": {"type": "string", "enum": list(STATUSES)},
        "status_note": {"type": ["string", "null"]}, "error": {"type": ["string", "null"]},
        "waiting": {"type": "boolean"}, "model": {"type": "object"}, "params": {"type": "object"},
        "progress": {"type": "object"}, "levels": {"type": "array", "items": {"type": "object"}}}},
})
