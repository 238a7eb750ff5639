"""Evaluation pages."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.evals import bp
from app.evals.forms import form_values
from app.evals.judging import panel_context
from app.extensions import db
from app.models import EvalSample
from app.models.run import EVAL_STATUSES
from app.queues import QueueUnavailable
from app.services import (endpoints, eval_compare, eval_reports, eval_sharing, evals, log_text, run_costs, runs,
                          scheduler)
from app.services.eval_prompts import prompt_sent
from app.services.datasets import catalog
from app.services.judging import labels, panel, rejudge, report


def _choices():
    models = db.session.scalars(endpoints.live_query(current_user)).all()
    datasets = db.session.scalars(catalog.visible(current_user)).all()
    engines = [(name, label, *evals.engine_state(name, current_user)) for name, label in evals.ENGINE_LABELS.items()]
    return models, datasets, engines


@bp.route("/")
@login_required
def index():
    args = request.args
    query = evals.history(current_user, args.get("model", type=int), args.get("dataset", type=int),
                          args.get("status") or None)
    page = db.paginate(query, per_page=current_app.config["PER_PAGE"])
    models, datasets, _engines = _choices()
    return render_template("evals/index.html", page=page, models=models, datasets=datasets, statuses=EVAL_STATUSES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    models, datasets, engines = _choices()
    errors, values = {}, {}
    if request.method == "POST":
        values = form_values(request.form)
        try:
            run = evals.create(current_user, values)
        except evals.EvalInvalid as exc:
            errors = exc.errors
        except QueueUnavailable as exc:
            errors = {"form": _("The job queue is unreachable: %(error)s", error=str(exc))}
        else:
            flash(_("Evaluation #%(id)d queued: %(n)d requests.", id=run.id, n=evals.request_count(run.params)),
                  "success")
            return redirect(url_for("evals.show", run_id=run.id))
    elif request.args.get("model"):
        values = {"model_id": request.args.get("model")}
    return render_template("evals/new.html", models=models, datasets=datasets, engines=engines, errors=errors,
                           values=values, default_prompt=evals.DEFAULT_JUDGE_PROMPT,
                           version_info={d.id: catalog.version_of(d, None).info for d in datasets}), \
        (400 if errors else 200)


@bp.route("/<int:run_id>")
@login_required
def show(run_id: int):
    run = eval_sharing.readable(current_user, run_id)
    mine = run.owner_id == current_user.id
    log_lines, _next = runs.read_log(run, 0) if mine else ([], 0)
    raw_log = log_text.readable(log_lines[-200:], raw=True) if current_user.is_admin and mine else None
    return render_template("evals/run.html", run=run, log_lines=log_text.readable(log_lines[-200:]),
                           raw_log=raw_log, log_next=_next, requests=evals.request_count(run.params), mine=mine,
                           interval=None if run.is_active else eval_reports.score_interval(run),
                           chart=eval_reports.subset_chart(run),
                           judges=db.session.scalars(endpoints.live_query(current_user)).all() if mine else [],
                           children=rejudge.children(run), default_prompt=evals.DEFAULT_JUDGE_PROMPT,
                           decided=report.decided(run), agreement=labels.agreement(run),
                           judge_agreement=panel.agreement(run),
                           labelled=labels.labelled_count(run), usage=run_costs.run_usage(run),
                           capacity=scheduler.for_run(run, current_user) if mine else [])


@bp.route("/<int:run_id>/<any(publish, unpublish):action>", methods=["POST"])
@login_required
def share(run_id: int, action: str):
    """Publish (a read-only report for every user, listed on the leaderboards) or unpublish the owner's run."""
    run = evals.owned(current_user, run_id)
    try:
        eval_sharing.set_published(run, current_user, action == "publish")
    except eval_sharing.ShareError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Published: every user can open this report and see it on the leaderboards.") if run.published
              else _("Unpublished: only you can see this evaluation."), "success")
    return redirect(url_for("evals.show", run_id=run.id))


@bp.route("/<int:run_id>/<any(cancel, resume, rerun):action>", methods=["POST"])
@login_required
def act(run_id: int, action: str):
    run = evals.owned(current_user, run_id)
    try:
        if action == "cancel":
            state = runs.cancel(run, current_user)
            flash(_("Cancelling: the engine stops within seconds; finished samples are kept.")
                  if state == "cancelling" else _("Evaluation cancelled."), "info")
        elif action == "resume":
            evals.resume(run, current_user)
            flash(_("Resumed: it continues from the samples it already has."), "success")
        else:
            new = evals.rerun(run, current_user)
            flash(_("Re-run queued as evaluation #%(id)d.", id=new.id), "success")
            return redirect(url_for("evals.show", run_id=new.id))
    except evals.EvalInvalid as exc:
        flash(" ".join(exc.errors.values()), "error")
    except QueueUnavailable as exc:
        flash(_("The job queue is unreachable: %(error)s", error=str(exc)), "error")
    return redirect(url_for("evals.show", run_id=run.id))


@bp.route("/<int:run_id>/samples")
@login_required
def samples(run_id: int):
    run = eval_sharing.readable(current_user, run_id)
    a = request.args
    query = evals.samples(run, a.get("verdict"), a.get("subset"), a.get("q", "").strip() or None,
                          a.get("dataset", type=int), a.get("disagree") == "1")
    page = db.paginate(query, per_page=50)
    subsets = sorted({s["name"] for d in (run.summary or {}).get("datasets", []) for s in d["subsets"]})
    return render_template("evals/samples.html", run=run, page=page, subsets=subsets)


@bp.route("/<int:run_id>/samples/<int:sample_id>")
@login_required
def sample(run_id: int, sample_id: int):
    run = eval_sharing.readable(current_user, run_id)
    item = db.first_or_404(db.select(EvalSample).where(EvalSample.id == sample_id, EvalSample.run_id == run.id))
    a = request.args  # the list's filters: previous / next walk the same list
    filters = {k: v for k, v in {"verdict": a.get("verdict"), "subset": a.get("subset"),
                                 "q": a.get("q", "").strip() or None, "dataset_id": a.get("dataset", type=int),
                                 "disagree": a.get("disagree") == "1"}.items()
               if v}
    prev_id, next_id = evals.neighbours(run, item, **filters)
    keep = {k: a[k] for k in ("verdict", "subset", "q", "dataset", "disagree") if a.get(k)}
    return render_template("evals/sample.html", run=run, sample=item, prev_id=prev_id, next_id=next_id, keep=keep,
                           prompt=prompt_sent(item.engine_record), review=None, **panel_context(run, item))


@bp.route("/<int:run_id>/export")
@login_required
def export(run_id: int):
    run = eval_sharing.readable(current_user, run_id)
    try:
        return eval_reports.export_response(run, request.args.get("format", "csv"))
    except ValueError:
        abort(400)


@bp.route("/compare")
@login_required
def compare():
    try:
        ids = eval_compare.parse_ids(request.args.getlist("runs"))
    except ValueError:
        flash(_("Pick two or more finished runs to compare."), "info")
        return redirect(url_for("evals.index"))
    chosen = [eval_sharing.readable(current_user, i) for i in ids]
    return render_template("evals/compare.html", result=eval_compare.compare(chosen))
