"""Evaluation pages of judges you can check: re-judge a run, label samples by hand, review random samples."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.evals import bp
from app.queues import QueueUnavailable
from app.services import evals
from app.services.judging import rejudge


@bp.route("/<int:run_id>/rejudge", methods=["POST"])
@login_required
def rejudge_run(run_id: int):
    """Queue a re-judge of the run's stored answers with the chosen judge (and prompt, and rule first)."""
    parent = evals.owned(current_user, run_id)
    form = request.form
    data = {"judge_id": form.get("judge_id"), "judge_prompt": form.get("judge_prompt"),
            "rule_first": form.get("rule_first") == "y"}
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
