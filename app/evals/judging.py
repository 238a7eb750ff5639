"""Evaluation pages of judges you can check: re-judge a run, label samples by hand, review random samples."""
from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.evals import bp
from app.evals.forms import judge_values
from app.extensions import db
from app.models import EvalSample
from app.queues import QueueUnavailable
from app.services.eval_prompts import prompt_sent
from app.services import evals
from app.services.judging import labels, panel, rejudge


@bp.route("/<int:run_id>/rejudge", methods=["POST"])
@login_required
def rejudge_run(run_id: int):
    """Queue a re-judge of the run's stored answers with the chosen judge (and prompt, and rule first)."""
    parent = evals.owned(current_user, run_id)
    data = dict(judge_values(request.form), rule_first=request.form.get("rule_first") == "y")
    try:
        child = rejudge.create(parent, current_user, data)
    except evals.EvalInvalid as exc:
        flash(" ".join(exc.errors.values()), "error")
    except QueueUnavailable as exc:
        flash(_("The job queue is unreachable: %(error)s", error=str(exc)), "error")
    else:
        flash(_("Re-judge queued as evaluation #%(id)d: only the judge is asked.", id=child.id), "success")
        return redirect(url_for("evals.show", run_id=child.id))
    return redirect(url_for("evals.show", run_id=parent.id))


@bp.route("/<int:run_id>/samples/<int:sample_id>/label", methods=["POST"])
@login_required
def label_sample(run_id: int, sample_id: int):
    """Save a person's verdict and note on a sample; back to the sample, or on to the next of a review."""
    run = evals.owned(current_user, run_id)
    sample = db.first_or_404(db.select(EvalSample).where(EvalSample.id == sample_id, EvalSample.run_id == run.id))
    try:
        labels.label(sample, request.form.get("human_verdict"), request.form.get("human_note"))
    except evals.EvalInvalid as exc:
        flash(" ".join(exc.errors.values()), "error")
    else:
        flash(_("Label saved."), "success")
    seed, step, n = (request.form.get(k, type=int) for k in ("seed", "step", "n"))
    if seed is not None and step is not None:
        return redirect(url_for("evals.review", run_id=run.id, seed=seed, n=n, step=step + 1))
    return redirect(url_for("evals.sample", run_id=run.id, sample_id=sample.id))


@bp.route("/<int:run_id>/review")
@login_required
def review(run_id: int):
    """Walk N random answered samples of the run (``seed`` keeps the walk), one at a time, labelling each."""
    run = evals.owned(current_user, run_id)
    n = request.args.get("n", 20, type=int)
    seed = request.args.get("seed", type=int)
    seed = seed if seed is not None else secrets.randbelow(2**31)  # a new walk; its links keep the seed
    ids = labels.review_ids(run, n, seed)
    step = request.args.get("step", 0, type=int)
    if not ids or step >= len(ids):
        flash(_("Review done: %(n)d samples.", n=len(ids)), "success")
        return redirect(url_for("evals.show", run_id=run.id))
    item = db.session.get(EvalSample, ids[max(0, step)])
    return render_template("evals/sample.html", run=run, sample=item, prev_id=None, next_id=None, keep={},
                           prompt=prompt_sent(item.engine_record), **panel_context(run, item),
                           review={"seed": seed, "step": max(0, step), "n": len(ids)})


def panel_context(run, sample: EvalSample) -> dict:
    """What the sample page shows of a panel: every judge's verdict and reply, and the panel's size."""
    size = len(panel.members(run))
    return {"verdicts": panel.verdicts_by_sample([sample.id])[sample.id] if size else [], "panel_size": size}
