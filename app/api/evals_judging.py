"""API: judges you can check — re-judge a run's stored answers, label samples by hand, review random samples."""
from __future__ import annotations

import secrets

from flask import g, jsonify, request

from app.api import bp
from app.api.errors import ApiError
from app.api.evals import json_body, submitted
from app.extensions import db
from app.models import EvalSample
from app.services import eval_reports, evals
from app.services.judging import labels, rejudge


@bp.route("/evals/<int:run_id>/rejudge", methods=["POST"])
def rejudge_eval(run_id: int):
    """A new run judging this run's stored answers (``judge_id``, or a panel's ``judge_ids`` with its
    ``aggregation``; optional ``judge_prompt``, ``rule_first``)."""
    parent = evals.owned(g.api_user, run_id)
    data = json_body()
    child = submitted(lambda: rejudge.create(parent, g.api_user, data))
    body = eval_reports.run_json(child)
    body["requests"] = evals.request_count(child.params)
    return jsonify(body), 202


@bp.route("/evals/<int:run_id>/samples/<int:sample_id>/label", methods=["POST"])
def label_sample(run_id: int, sample_id: int):
    """Record a human verdict (correct | wrong | unsure, or null to clear it) and a note on one sample."""
    run = evals.owned(g.api_user, run_id)
    sample = db.first_or_404(db.select(EvalSample).where(EvalSample.id == sample_id, EvalSample.run_id == run.id))
    data = json_body()
    try:
        labels.label(sample, data.get("verdict"), data.get("note"))
    except evals.EvalInvalid as exc:
        raise ApiError(422, "invalid", "Some fields are invalid.", exc.errors) from exc
    return jsonify(eval_reports.samples_json(run, [sample])[0])


@bp.route("/evals/<int:run_id>/review")
def review_eval(run_id: int):
    """``n`` random answered samples of the run to label (``seed`` repeats a walk), and the agreement so far."""
    run = evals.owned(g.api_user, run_id)
    n = request.args.get("n", 20, type=int)
    seed = request.args.get("seed", type=int)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    ids = labels.review_ids(run, n, seed)
    items = {s.id: s for s in db.session.scalars(db.select(EvalSample).where(EvalSample.id.in_(ids)))}
    return jsonify({"seed": seed, "items": eval_reports.samples_json(run, [items[i] for i in ids]),
                    "agreement": labels.agreement(run)})
