"""Leaderboard pages: the datasets with finished runs, and one dataset's board."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from app.leaderboards import bp
from app.services import leaderboards, quality_speed
from app.services.arena import board as arena_board
from app.services.datasets import catalog


@bp.route("/")
@login_required
def index():
    return render_template("leaderboards/index.html", datasets=leaderboards.datasets_with_runs(current_user))


@bp.route("/arena")
@login_required
def arena():
    """The human-preference leaderboard: blind (arena) votes and named (chat) votes apart."""
    return render_template("leaderboards/arena.html", board=arena_board.board(current_user))


@bp.route("/<int:dataset_id>")
@login_required
def show(dataset_id: int):
    dataset = catalog.get_visible(current_user, dataset_id)
    try:
        picked = leaderboards.parse_picks(request.args.getlist("run"))
        speed, concurrency = quality_speed.parse(request.args.get("speed"), request.args.get("concurrency"))
    except ValueError:
        abort(400)
    result = leaderboards.board(current_user, dataset, picked, request.args.get("subset") or None, speed,
                                concurrency)
    return render_template("leaderboards/show.html", dataset=dataset, board=result, picked=picked,
                           chart=quality_speed.geometry(result["quality_speed"]))
