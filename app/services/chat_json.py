"""JSON views of chat conversations (shared by the REST API and the chat pages), and the page's turn grouping."""
from __future__ import annotations

from app.models import ChatMessage, ChatSlot, Conversation
from app.models.chat import slot_label


def slot_json(row: ChatSlot) -> dict:
    """A slot's settings; ``model_name`` is the copy kept for history, ``model_id`` NULL once the model is gone."""
    return {"slot": row.slot, "label": row.label, "model_id": row.endpoint_id, "model_name": row.endpoint_name,
            "system_prompt": row.system_prompt, "temperature": row.temperature, "max_tokens": row.max_tokens}


def message_json(msg: ChatMessage) -> dict:
    """A message with its status and measurements (TTFT, latency, tokens/s, token usage)."""
    return {"id": msg.id, "turn": msg.turn, "slot": msg.slot,
            "label": slot_label(msg.slot) if msg.slot else None, "role": msg.role, "content": msg.content,
            "status": msg.status, "error": msg.error, "model_id": msg.endpoint_id, "model_name": msg.endpoint_name,
            "finish_reason": msg.finish_reason, "ttft_ms": msg.ttft_ms, "latency_ms": msg.latency_ms,
            "tokens_per_s": msg.tokens_per_s,
            "usage": {"prompt_tokens": msg.prompt_tokens, "completion_tokens": msg.completion_tokens},
            "created_at": msg.created_at.isoformat()}


def conversation_json(conversation: Conversation, full: bool = True) -> dict:
    """The API view of a conversation; ``full`` adds its messages and preferences."""
    body = {"id": conversation.id, "title": conversation.display_title,
            "created_at": conversation.created_at.isoformat(), "updated_at": conversation.updated_at.isoformat(),
            "slots": [slot_json(s) for s in conversation.slots]}
    if full:
        body["messages"] = [message_json(m) for m in conversation.messages]
        body["preferences"] = [{"turn": p.turn, "choice": p.choice} for p in conversation.preferences]
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
