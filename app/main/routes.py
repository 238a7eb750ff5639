"""Dashboard, health check, worker ping."""
from __future__ import annotations

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.forms import EmptyForm
from app.main import bp
from app.queues import QueueUnavailable
from app.services import dashboard as dashboard_service, health, jobs, metrics, tokens


@bp.route("/")
@login_required
def index():
    return redirect(url_for("main.dashboard"))


@bp.route("/dashboard")
@login_required
def dashboard():
    return render_template("main/dashboard.html", cards=dashboard_service.counts_for(current_user),
                           latest=dashboard_service.latest_runs(current_user), ping=jobs.last_ping(current_user),
                           ping_form=EmptyForm())


@bp.route("/health")
def health_check():
    body, healthy = health.report()
    return jsonify(body), 200 if healthy else 503


@bp.route("/metrics")
def metrics_endpoint():
    """Prometheus metrics for an admin's session or an admin's API token; 401 without either, 404 otherwise."""
    header = request.headers.get("Authorization", "")
    user = tokens.user_for_token(header[7:].strip()) if header.startswith("Bearer ") else current_user
    if user is None or not user.is_authenticated:
        return Response("Sign in as an admin or send an admin's API token.\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="evalhub"', "Content-Type": "text/plain"})
    if not user.is_admin:
        abort(404)
    return Response(metrics.exposition(), mimetype="text/plain; version=0.0.4")


@bp.route("/worker-ping", methods=["POST"])
@login_required
def worker_ping():
    if EmptyForm().validate_on_submit():
        try:
            jobs.submit_ping(current_user)
        except QueueUnavailable as exc:
            flash(_("The job queue is unreachable: %(error)s", error=str(exc)), "error")
        else:
            flash(_("Ping sent to the workers."), "info")
    return redirect(url_for("main.dashboard"))


@bp.route("/worker-ping/<job_id>")
@login_required
def worker_ping_state(job_id: str):
    try:
        state = jobs.ping_state(current_user, job_id)
    except QueueUnavailable:
        state = None
    if state is None:
        return jsonify({"error": {"code": "not_found", "message": "No such job."}}), 404
    return jsonify(state)
