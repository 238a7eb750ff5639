"""API: side-by-side chat (``/api/v1/conversations``). Sending a message answers with the SSE stream of every slot."""
from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.chat_spec import openapi_paths
from app.api.errors import ApiError
from app.api.openapi import add_paths
from app.extensions import db
from app.services import chat, chat_fanout, chat_json, chat_turns, conversations
from app.services.conversations import ChatInvalid


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "Send a JSON object (Content-Type: application/json).")
    return data


def _invalid(exc: ChatInvalid) -> ApiError:
    if exc.status == 409:
        return ApiError(409, "conflict", "; ".join(exc.errors.values()), exc.errors)
    return ApiError(exc.status, "invalid", "Some fields are invalid.", exc.errors)


@bp.route("/conversations")
def list_conversations():
    page = db.paginate(conversations.owned_query(g.api_user), max_per_page=100)
    return jsonify({"items": [chat_json.conversation_json(c, full=False) for c in page.items],
                    "page": page.page, "pages": page.pages, "total": page.total})


@bp.route("/conversations", methods=["POST"])
def create_conversation():
    data = _body()
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise ApiError(422, "invalid", "Some fields are invalid.", {"title": "Must be a string."})
    try:
        conversation = conversations.create(g.api_user, data.get("slots"), title=title)
    except ChatInvalid as exc:
        raise _invalid(exc) from exc
    return jsonify(chat_json.conversation_json(conversation)), 201


@bp.route("/conversations/<int:conversation_id>")
def get_conversation(conversation_id: int):
    return jsonify(chat_json.conversation_json(conversations.get_owned(g.api_user, conversation_id)))


@bp.route("/conversations/<int:conversation_id>", methods=["PATCH"])
def rename_conversation(conversation_id: int):
    conversation = conversations.get_owned(g.api_user, conversation_id)
    title = _body().get("title")
    try:
        conversations.rename(conversation, title if isinstance(title, str) else "")
    except ChatInvalid as exc:
        raise _invalid(exc) from exc
    return jsonify(chat_json.conversation_json(conversation, full=False))


@bp.route("/conversations/<int:conversation_id>", methods=["DELETE"])
def delete_conversation(conversation_id: int):
    conversations.delete(conversations.get_owned(g.api_user, conversation_id), g.api_user)
    return "", 204


@bp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
def send_message(conversation_id: int):
    try:
        turn = chat_turns.prepare(g.api_user, conversation_id, _body().get("content"))
    except ChatInvalid as exc:
        raise _invalid(exc) from exc
    return chat.response(turn)


@bp.route("/conversations/<int:conversation_id>/slots/<int:slot>/regenerate", methods=["POST"])
def regenerate_answer(conversation_id: int, slot: int):
    try:
        turn = chat_turns.prepare_regenerate(g.api_user, conversation_id, slot)
    except ChatInvalid as exc:
        raise _invalid(exc) from exc
    return chat.response(turn)


@bp.route("/conversations/<int:conversation_id>/stop", methods=["POST"])
def stop_conversation(conversation_id: int):
    conversations.get_owned(g.api_user, conversation_id)
    chat_fanout.request_stop(conversation_id)
    return jsonify({"stopping": True})


@bp.route("/conversations/<int:conversation_id>/preferences", methods=["POST"])
def record_preference(conversation_id: int):
    conversation = conversations.get_owned(g.api_user, conversation_id)
    data = _body()
    try:
        pref = conversations.set_preference(conversation, data.get("turn"), data.get("choice"), data.get("reason"))
    except ChatInvalid as exc:
        raise _invalid(exc) from exc
    return jsonify(chat_json.vote_json(conversation, pref))


add_paths(*openapi_paths())
