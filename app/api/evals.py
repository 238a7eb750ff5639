"""API: accuracy evaluations (``/api/v1/evals``) and EvalScope's own service body on ``POST /api/v1/eval``."""
from __future__ import annotations

import time

from flask import current_app, g, jsonify, request

from app.api import bp
from app.api.errors import ApiError
from app.api.evals_spec import document_evals
from app.extensions import db
from app.models import EvalRun
from app.queues import QueueUnavailable
from app.services import eval_compare, eval_reports, eval_sharing, evals, evals_evalscope, runs
from app.services.validation import number

WAIT_MAX_SECONDS = 3600


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Send a JSON object (Content-Type: application/json).")
    return data


def submitted(create) -> EvalRun:
    """Run ``create()`` (a submit), turning bad input into 422 and an unreachable queue into 503."""
    try:
        return create()
    except evals.EvalInvalid as exc:
        raise ApiError(422, "invalid", "Some fields are invalid.", exc.errors) from exc
    except QueueUnavailable as exc:
        raise ApiError(503, "queue_unavailable", str(exc)) from exc


def _submit(values: dict) -> EvalRun:
    return submitted(lambda: evals.create(g.api_user, values))


@bp.route("/evals", methods=["POST"])
def create_eval():
    run = _submit(json_body())
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
    return jsonify(eval_reports.run_json(eval_sharing.readable(g.api_user, run_id)))


@bp.route("/evals/compare")
def compare_evals():
    """Paired verdicts of 2-5 runs (``runs=A,B[,C]``: the user's own or published)."""
    try:
        ids = eval_compare.parse_ids(request.args.getlist("runs"))
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc), {"runs": str(exc)}) from exc
    return jsonify(eval_compare.compare([eval_sharing.readable(g.api_user, i) for i in ids]))


@bp.route("/evals/<int:run_id>/<any(publish, unpublish):action>", methods=["POST"])
def share_eval(run_id: int, action: str):
    run = evals.owned(g.api_user, run_id)
    try:
        eval_sharing.set_published(run, g.api_user, action == "publish")
    except eval_sharing.ShareError as exc:
        raise ApiError(409, "conflict", str(exc), {"status": str(exc)}) from exc
    return jsonify(eval_reports.run_json(run))


@bp.route("/evals/<int:run_id>/samples")
def eval_samples(run_id: int):
    run = eval_sharing.readable(g.api_user, run_id)
    a = request.args
    page = db.paginate(evals.samples(run, a.get("verdict"), a.get("subset"), a.get("q"), a.get("dataset", type=int),
                                     a.get("disagree") in ("1", "true")), max_per_page=500)
    return jsonify({"items": eval_reports.samples_json(run, page.items), "page": page.page,
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
    run = eval_sharing.readable(g.api_user, run_id)
    try:
        return eval_reports.export_response(run, request.args.get("format", "json"))
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc


@bp.route("/eval", methods=["POST"])
def evalscope_style():
    """EvalScope service's body (see app/services/evals_evalscope.py); ``"wait": true`` answers when it has run."""
    data = json_body()
    fields: dict = {}
    timeout = number(data.get("timeout"), float, 1, WAIT_MAX_SECONDS, "timeout", fields, WAIT_MAX_SECONDS)
    if fields:
        raise ApiError(422, "invalid", "Some fields are invalid.", fields)
    try:
        values, notes = evals_evalscope.from_evalscope(data, g.api_user)
    except evals.EvalInvalid as exc:
        raise ApiError(422, "invalid", "Some fields are invalid.", exc.errors) from exc
    run = _submit(values)
    if data.get("wait") is True:
        run = _wait(run, timeout)
    return jsonify(evals_evalscope.answer(run, notes)), 202 if run.is_active else 200


def _wait(run: EvalRun, timeout) -> EvalRun:
    """Poll the row until the run has finished, or ``timeout`` seconds (at most an hour) have passed."""
    seconds = timeout if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0 \
        else WAIT_MAX_SECONDS
    deadline = time.monotonic() + min(seconds, WAIT_MAX_SECONDS)
    while time.monotonic() < deadline:
        db.session.rollback()  # end the transaction: the next read sees the worker's commits
        run = evals.owned(g.api_user, run.id)
        if not run.is_active:
            break
        time.sleep(current_app.config.get("API_WAIT_POLL_SECONDS", 1.0))
    return run


document_evals()
