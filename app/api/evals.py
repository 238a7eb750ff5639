"""API: accuracy evaluations (``/api/v1/evals``) and an EvalScope-service-style ``POST /api/v1/eval``."""
from __future__ import annotations

import time

from flask import current_app, g, jsonify, request

from app.api import bp
from app.api.errors import ApiError
from app.api.evals_spec import document_evals
from app.extensions import db
from app.models import Dataset, EvalRun
from app.queues import QueueUnavailable
from app.services import eval_reports, evals, runs
from app.services.datasets import catalog
from app.services.validation import number

WAIT_MAX_SECONDS = 3600


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Send a JSON object (Content-Type: application/json).")
    return data


def _submit(values: dict) -> EvalRun:
    try:
        return evals.create(g.api_user, values)
    except evals.EvalInvalid as exc:
        raise ApiError(422, "invalid", "Some fields are invalid.", exc.errors) from exc
    except QueueUnavailable as exc:
        raise ApiError(503, "queue_unavailable", str(exc)) from exc


@bp.route("/evals", methods=["POST"])
def create_eval():
    run = _submit(_json_body())
    body = eval_reports.run_json(run)
    body["requests"] = evals.request_count(run.params)
    return jsonify(body), 202


@bp.route("/evals")
def list_evals():
    a = request.args
    page = db.paginate(evals.history(g.api_user, a.get("model", type=int), a.get("dataset", type=int),
                                     a.get("status") or None), max_per_page=100)
    return jsonify({"items": [eval_reports.run_json(r) for r in page.items], "page": page.page,
                    "pages": page.pages, "total": page.total})


@bp.route("/evals/<int:run_id>")
def get_eval(run_id: int):
    return jsonify(eval_reports.run_json(evals.owned(g.api_user, run_id)))


@bp.route("/evals/<int:run_id>/samples")
def eval_samples(run_id: int):
    run = evals.owned(g.api_user, run_id)
    a = request.args
    page = db.paginate(evals.samples(run, a.get("verdict"), a.get("subset"), a.get("q"), a.get("dataset", type=int)),
                       max_per_page=500)
    return jsonify({"items": [eval_reports.sample_json(s) for s in page.items], "page": page.page,
                    "pages": page.pages, "total": page.total})


@bp.route("/evals/<int:run_id>/cancel", methods=["POST"])
def cancel_eval(run_id: int):
    run = evals.owned(g.api_user, run_id)
    state = runs.cancel(run, g.api_user)
    return jsonify({"id": run.id, "status": state}), 202


@bp.route("/evals/<int:run_id>/resume", methods=["POST"])
def resume_eval(run_id: int):
    run = evals.owned(g.api_user, run_id)
    try:
        evals.resume(run, g.api_user)
    except evals.EvalInvalid as exc:
        raise ApiError(409, "conflict", " ".join(exc.errors.values()), exc.errors) from exc
    return jsonify(eval_reports.run_json(run)), 202


@bp.route("/evals/<int:run_id>/export")
def export_eval(run_id: int):
    run = evals.owned(g.api_user, run_id)
    try:
        return eval_reports.export_response(run, request.args.get("format", "json"))
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc


@bp.route("/eval", methods=["POST"])
def evalscope_style():
    """EvalScope service's body: ``model`` (an EvalHub model name or id), ``datasets`` (EvalHub dataset names),
    ``limit``, ``eval_batch_size``, ``generation_config``, ``judge`` (model name or id), ``wait``."""
    data = _json_body()
    names, gen, timeout = _evalscope_fields(data)
    model = _model_ref(data.get("model"), "model")
    selections = []
    for name in names:
        dataset = db.session.scalar(catalog.visible(g.api_user).where(Dataset.name == str(name)))
        if dataset is None:
            raise ApiError(422, "invalid", f"No dataset named {name!r}.", {"datasets": f"Unknown: {name}"})
        selections.append({"dataset_id": dataset.id, "limit": data.get("limit")})
    values = {"model_id": model, "datasets": selections, "concurrency": data.get("eval_batch_size"),
              "temperature": gen.get("temperature"), "max_tokens": gen.get("max_tokens"), "top_p": gen.get("top_p"),
              "judge_id": _model_ref(data.get("judge"), "judge") if data.get("judge") else None}
    run = _submit(values)
    if not data.get("wait"):
        return jsonify({"id": run.id, "status": run.status, "url": f"/api/v1/evals/{run.id}"}), 202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # end the transaction: the next read sees the worker's commits
        run = evals.owned(g.api_user, run.id)
        if not run.is_active:
            break
        time.sleep(current_app.config.get("API_WAIT_POLL_SECONDS", 1.0))
    return jsonify(eval_reports.run_json(run)), 200 if not run.is_active else 202


def _evalscope_fields(data: dict) -> tuple[list, dict, float]:
    """The dataset names, generation config and wait timeout of an EvalScope-style body; 422 when malformed."""
    names = data.get("datasets") or []
    names = [names] if isinstance(names, str) else names
    fields = {}
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        fields["datasets"] = "A dataset name or a list of names."
    gen = data.get("generation_config") or {}
    if not isinstance(gen, dict):
        fields["generation_config"] = "An object such as {\"temperature\": 0, \"max_tokens\": 512}."
    timeout = number(data.get("timeout"), float, 0, WAIT_MAX_SECONDS, "timeout", fields, WAIT_MAX_SECONDS)
    if fields:
        raise ApiError(422, "invalid", "Some fields are invalid.", fields)
    return names, gen, timeout


def _model_ref(ref, field: str) -> int:
    """A model id from an id or a name the user can see."""
    from app.models import ModelEndpoint
    from app.services import endpoints
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return int(ref)
    found = db.session.scalar(endpoints.live_query(g.api_user).where(ModelEndpoint.name == str(ref or "")))
    if found is None:
        raise ApiError(422, "invalid", f"No model named {ref!r}.", {field: "Unknown model."})
    return found.id


document_evals()
