"""Benchmarks: history, new, the run page (live progress and log over SSE, then the report), cancel, compare,
export. Every lookup is scoped to the signed-in user (a foreign id answers 404)."""
from __future__ import annotations

import json
import time

from flask import Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.auth.forms import EmptyForm
from app.extensions import db
from app.models import PerfRun
from app.models.run import STATUSES
from app.perf import bp
from app.perf.forms import PerfForm
from app.queues import QueueUnavailable
from app.services import endpoints, log_text, perf, perf_queue, runs, scheduler, stored_text
from app.services.datasets import catalog
from app.services.perf_report import COLUMNS, DEFINITIONS, PERCENTILES, SERIES, chart_data, compare as compare_runs
from app.services.perf_report import csv_text, percentile, run_json

SSE_SECONDS = 300  # one stream's length; the browser reconnects and resumes the log where it was


def _state(run: PerfRun) -> dict:
    return {"status": run.status, "note": stored_text.translate(run.status_note),
            "error": stored_text.translate(log_text.readable_text(run.error)), "done": run.progress_done,
            "total": run.progress_total, "percent": run.progress_percent, "levels": len(run.levels)}


@bp.route("/")
@login_required
def index():
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    model_id = request.args.get("model", type=int)
    q = request.args.get("q", "").strip()
    page = db.paginate(perf.history(current_user, status or None, model_id, q),
                       per_page=current_app.config["PER_PAGE"])
    return render_template("perf/index.html", page=page, status=status, model_id=model_id, q=q,
                           statuses=STATUSES, models=perf.endpoints_in_history(current_user))


def _choices(form: PerfForm) -> None:
    form.endpoint_id.choices = [SelectChoice("", _("Choose a model"))] + [
        SelectChoice(str(m.id), m.name) for m in db.session.scalars(endpoints.live_query(current_user))]
    form.dataset_id.choices = [SelectChoice("", _("Choose a dataset"))] + [
        SelectChoice(str(d.id), f"{d.name} ({d.row_count})")
        for d in db.session.scalars(catalog.search(current_user))]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = PerfForm()
    _choices(form)
    if request.method == "GET":
        source = request.args.get("from", type=int)
        if source:
            earlier = perf.get_visible(current_user, source)
            form.fill(earlier.params, earlier.endpoint_id)
        elif request.args.get("model"):
            form.endpoint_id.data = request.args["model"]
    if form.validate_on_submit():
        try:
            endpoint, params = perf.validate(form.values(), current_user)
            run = perf_queue.submit(current_user, endpoint, params)
        except perf.PerfInvalid as exc:
            for field, message in exc.errors.items():
                getattr(form, field).errors.append(message)
        except QueueUnavailable as exc:
            flash(_("The job queue is unreachable: %(error)s", error=str(exc)), "error")
        else:
            flash(_("Benchmark #%(id)d submitted.", id=run.id), "success")
            return redirect(url_for("perf.show", run_id=run.id))
    status = 400 if request.method == "POST" else 200
    return render_template("perf/new.html", form=form), status


@bp.route("/<int:run_id>")
@login_required
def show(run_id: int):
    run = perf.get_visible(current_user, run_id)
    lines, position = runs.read_log(run)
    others = db.session.scalars(perf.history(current_user, "succeeded").where(PerfRun.id != run.id).limit(50)).all()
    raw_log = log_text.readable(lines[-500:], raw=True) if current_user.is_admin else None
    return render_template("perf/run.html", run=run, log=log_text.readable(lines[-500:]), raw_log=raw_log,
                           log_position=position, state=_state(run), chart=chart_data(run), others=others,
                           columns=COLUMNS, definitions=DEFINITIONS, percentiles=PERCENTILES, series=SERIES,
                           percentile=percentile, cancel_form=EmptyForm(),
                           capacity=scheduler.for_run(run, current_user))


@bp.route("/<int:run_id>/events")
@login_required
def events(run_id: int):
    """Server-sent events: ``log`` (new log lines; the event id is the log position), ``progress`` (the row's
    state, when it changes) and a last ``done`` when the run has finished."""
    perf.get_visible(current_user, run_id)  # 404 unless it is yours
    start = request.headers.get("Last-Event-ID", request.args.get("from", "0"))
    position = int(start) if str(start).isdigit() else 0

    @stream_with_context
    def stream(position: int):
        yield "retry: 2000\n\n"
        last, ends = None, time.monotonic() + SSE_SECONDS
        while True:
            db.session.rollback()  # a fresh read of the row
            current = db.session.get(PerfRun, run_id)
            lines, position = runs.read_log(current, position)
            lines = log_text.readable(lines)
            if lines:
                data = json.dumps({"lines": lines})
                yield f"id: {position}\nevent: log\ndata: {data}\n\n"
            state = _state(current)
            if state != last:
                yield f"event: progress\ndata: {json.dumps(state)}\n\n"
                last = state
            if not current.is_active:
                yield f"event: done\ndata: {json.dumps(state)}\n\n"
                return
            if time.monotonic() > ends:
                return
            time.sleep(1.0)

    return Response(stream(position), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@bp.route("/<int:run_id>/cancel", methods=["POST"])
@login_required
def cancel(run_id: int):
    run = perf.get_visible(current_user, run_id)
    if EmptyForm().validate_on_submit():
        state = perf_queue.cancel(run, current_user)
        if state == "cancelling":
            flash(_("Stopping benchmark #%(id)d…", id=run.id), "info")
        elif state == "cancelled":
            flash(_("Benchmark #%(id)d cancelled.", id=run.id), "success")
        else:
            flash(_("Benchmark #%(id)d has already finished.", id=run.id), "warning")
    return redirect(url_for("perf.show", run_id=run.id))


@bp.route("/compare")
@login_required
def compare():
    ids = sorted(request.args.getlist("run", type=int)) or [  # ticked in the history: the older one is A
        i for i in (request.args.get("a", type=int), request.args.get("b", type=int)) if i]
    if len(ids) != 2 or ids[0] == ids[1]:
        flash(_("Tick two benchmarks to compare."), "warning")
        return redirect(url_for("perf.index"))
    a, b = (perf.get_visible(current_user, i) for i in ids)
    return render_template("perf/compare.html", a=a, b=b, rows=compare_runs(a, b),
                           charts=[chart_data(a), chart_data(b)], definitions=DEFINITIONS)


@bp.route("/<int:run_id>/export.<fmt>")
@login_required
def export(run_id: int, fmt: str):
    run = perf.get_visible(current_user, run_id)
    name = f"benchmark-{run.id}"
    if fmt == "csv":
        return Response(csv_text(run), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "json":
        return Response(json.dumps(run_json(run), ensure_ascii=False, indent=1),
                        content_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
    return Response("Unknown format", status=404)
