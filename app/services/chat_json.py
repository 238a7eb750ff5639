"""JSON views of chat conversations (shared by the REST API and the chat pages), and the page's turn grouping.

A blind (arena) view names no model: no name or id, no error text (it may quote the model) and no measurements
(speed and token counts tell models apart) until the vote reveals them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models import ChatMessage, ChatSlot, Conversation, Preference
from app.models.chat import slot_label

HIDDEN_ERROR = _l("This model could not answer; the details show after your vote.")


def slot_json(row: ChatSlot, blind: bool = False) -> dict:
    """A slot's settings; ``model_name`` is the copy kept for history, ``model_id`` NULL once the model is gone."""
    return {"slot": row.slot, "label": row.label, "model_id": None if blind else row.endpoint_id,
            "model_name": None if blind else row.endpoint_name, "system_prompt": row.system_prompt,
            "temperature": row.temperature, "max_tokens": row.max_tokens}


def message_json(msg: ChatMessage, blind: bool = False) -> dict:
    """A message with its status and measurements (TTFT, latency, tokens/s, token usage)."""
    body = {"id": msg.id, "turn": msg.turn, "slot": msg.slot,
            "label": slot_label(msg.slot) if msg.slot else None, "role": msg.role, "content": msg.content,
            "status": msg.status, "error": msg.error, "model_id": msg.endpoint_id, "model_name": msg.endpoint_name,
            "finish_reason": msg.finish_reason, "ttft_ms": msg.ttft_ms, "latency_ms": msg.latency_ms,
            "tokens_per_s": msg.tokens_per_s,
            "usage": {"prompt_tokens": msg.prompt_tokens, "completion_tokens": msg.completion_tokens},
            "created_at": msg.created_at.isoformat()}
    if blind and msg.slot:
        body.update(model_id=None, model_name=None, ttft_ms=None, latency_ms=None, tokens_per_s=None,
                    usage={"prompt_tokens": None, "completion_tokens": None},
                    error=str(HIDDEN_ERROR) if msg.error else None)
    return body


def preference_json(pref: Preference) -> dict:
    """A vote: the turn, the choice (``A``/``B``/``C``/``tie``/``bad``), its reason, and whether it was blind."""
    return {"turn": pref.turn, "choice": pref.choice, "reason": pref.reason, "blind": pref.blind}


def vote_json(conversation: Conversation, pref: Preference) -> dict:
    """The answer to a vote: the vote and the slots, named (an arena's vote reveals them)."""
    return {**preference_json(pref), "slots": [slot_json(s) for s in conversation.slots]}


def conversation_json(conversation: Conversation, full: bool = True) -> dict:
    """The API view of a conversation; ``full`` adds its messages and preferences. An arena conversation before its
    vote is ``blind``: models unnamed."""
    blind = conversation.blind
    body = {"id": conversation.id, "title": conversation.display_title, "arena": conversation.arena, "blind": blind,
            "created_at": conversation.created_at.isoformat(), "updated_at": conversation.updated_at.isoformat(),
            "slots": [slot_json(s, blind) for s in conversation.slots]}
    if full:
        body["messages"] = [message_json(m, blind) for m in conversation.messages]
        body["preferences"] = [preference_json(p) for p in conversation.preferences]
    return body


def turns(conversation: Conversation) -> list[dict]:
    """The conversation as turns for the page: ``{"turn", "user", "answers": {slot: message}, "preference"}``."""
    by_turn: dict[int, dict] = {}
    for msg in conversation.messages:
        entry = by_turn.setdefault(msg.turn, {"turn": msg.turn, "user": None, "answers": {}, "preference": None})
        if msg.slot is None:
            entry["user"] = msg
        else:
            entry["answers"][msg.slot] = msg
    for pref in conversation.preferences:
        if pref.turn in by_turn:
            by_turn[pref.turn]["preference"] = pref.choice
    return [by_turn[k] for k in sorted(by_turn)]
