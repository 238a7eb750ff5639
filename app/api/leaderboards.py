"""API: leaderboards (``/api/v1/leaderboards``), the same boards as the pages."""
from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.errors import ApiError
from app.api.leaderboards_spec import document_leaderboards
from app.services import leaderboards, quality_speed
from app.services.datasets import catalog


@bp.route("/leaderboards")
def list_leaderboards():
    return jsonify({"items": [{"dataset_id": d.id, "name": d.name, "format": d.format, "models": n}
                              for d, n in leaderboards.datasets_with_runs(g.api_user)]})


@bp.route("/leaderboards/<int:dataset_id>")
def get_leaderboard(dataset_id: int):
    dataset = catalog.get_visible(g.api_user, dataset_id)
    try:
        picked = leaderboards.parse_picks(request.args.getlist("run"))
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc), {"run": str(exc)}) from exc
    try:
        speed, concurrency = quality_speed.parse(request.args.get("speed"), request.args.get("concurrency"))
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc), {"speed": str(exc)}) from exc
    return jsonify(leaderboards.board(g.api_user, dataset, picked, request.args.get("subset") or None,
                                      speed, concurrency))


document_leaderboards()
