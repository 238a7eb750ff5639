"""API: what the admin page *Runs and capacity* shows and does, for scripts (``/api/v1/admin/runs``): every waiting
and running run of every user with each model's capacity, and cancel of any of them. Admins only; others get 404."""
from __future__ import annotations

from flask import g, jsonify

from app.api import bp
from app.api.errors import ApiError
from app.api.openapi import add_paths
from app.services import runs, scheduler
from app.services.runs import board


def _admin_only() -> None:
    if not g.api_user.is_admin:
        raise ApiError(404, "not_found", "The requested URL was not found on the server.")


def _run_json(run, owner) -> dict:
    return {"kind": run.__tablename__, "id": run.id, "owner": owner.username, "model": run.endpoint_name,
            "status": run.status, "waiting": run.is_waiting, "progress_done": run.progress_done,
            "progress_total": run.progress_total, "status_note": run.status_note}


@bp.route("/admin/runs")
def admin_runs():
    _admin_only()
    return jsonify({"items": [_run_json(run, owner) for run, owner in board.active()],
                    "capacity": scheduler.all_views()})


@bp.route("/admin/runs/<kind>/<int:run_id>/cancel", methods=["POST"])
def admin_cancel_run(kind: str, run_id: int):
    """Cancel any user's evaluation (``eval_run``) or benchmark (``perf_run``), audited under the admin's name."""
    _admin_only()
    run = board.get_or_404(kind, run_id)
    if not run.is_active:
        raise ApiError(409, "finished", f"Run {kind}-{run.id} has already finished ({run.status}).")
    return jsonify({"state": runs.cancel(run, g.api_user), "kind": kind, "id": run.id})


_NOT_ADMIN = {"description": "Not an administrator (or no such run)"}
add_paths({
    "/admin/runs": {"get": {
        "summary": "Admins: every waiting and running run of every user, and each model's capacity",
        "responses": {"200": {"description": "items (kind, id, owner, model, status, waiting, progress, note) and "
                                             "capacity (per model: in flight, waiting, runs)"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "404": _NOT_ADMIN}}},
    "/admin/runs/{kind}/{id}/cancel": {"post": {
        "summary": "Admins: cancel any user's evaluation or benchmark",
        "parameters": [{"name": "kind", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": list(board.KINDS)}},
                       {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "state: cancelled or cancelling"},
                      "401": {"$ref": "#/components/responses/Unauthorized"}, "404": _NOT_ADMIN,
                      "409": {"description": "Already finished"}}}},
})
