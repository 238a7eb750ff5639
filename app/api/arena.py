"""API: the blind arena (``/api/v1/arena``): start a battle, read the human-preference leaderboard. A battle is a
conversation: its messages and its vote go through the conversation routes (app/api/chat.py)."""
from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.arena_spec import openapi_paths
from app.api.errors import ApiError
from app.api.openapi import add_paths
from app.services import chat_json
from app.services.arena import battles, board
from app.services.conversations import ChatInvalid


@bp.route("/arena", methods=["POST"])
def start_battle():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Send a JSON object (Content-Type: application/json).")
    try:
        conversation = battles.start(g.api_user, data.get("models"), data.get("count", 2))
    except ChatInvalid as exc:
        raise ApiError(exc.status, "invalid", "Some fields are invalid.", exc.errors) from exc
    return jsonify(chat_json.conversation_json(conversation)), 201


@bp.route("/arena/leaderboard")
def arena_leaderboard():
    return jsonify(board.board(g.api_user))


add_paths(*openapi_paths())
