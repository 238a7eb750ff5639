"""Conversations of the side-by-side chat: validation, create / rename / delete, lookups scoped to the owner and
preferences (their JSON views: app/services/chat_json.py).

Conversations are private: every lookup is scoped to its owner and any other id answers 404 (admins included).
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ChatMessage, ChatSlot, Conversation, ModelEndpoint, Preference, User
from app.models.chat import CHOICES, MAX_SLOTS
from app.models.types import utcnow
from app.services import audit, endpoints

MAX_CONTENT = 100_000
MAX_SYSTEM_PROMPT = 20_000
MAX_REASON = 500
TITLE_LENGTH = 80
STALE_AFTER = timedelta(minutes=15)  # a row still "streaming" after this was cut off by a restart


class ChatInvalid(ValueError):
    """Bad input; ``errors`` maps each field (``content``, ``slots``, ``slots.0.model_id`` ...) to its message."""

    def __init__(self, errors: dict[str, str], status: int = 422):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors, self.status = errors, status


def owned_query(user: User) -> sa.Select:
    """The user's conversations, most recently active first."""
    return (sa.select(Conversation).where(Conversation.owner_id == user.id)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc()))


def get_owned(user: User, conversation_id: int) -> Conversation:
    """One of the user's conversations, else 404."""
    conversation = db.session.scalar(sa.select(Conversation).where(
        Conversation.id == conversation_id, Conversation.owner_id == user.id))
    if conversation is None:
        abort(404)
    return conversation


def usable_endpoint(user: User, endpoint_id: int | None) -> ModelEndpoint | None:
    """The live model ``endpoint_id`` if ``user`` may use it, else None."""
    if endpoint_id is None:
        return None
    return db.session.scalar(endpoints.live_query(user).where(ModelEndpoint.id == endpoint_id))


def _number(raw: Any, kind, low: float, high: float) -> Any:
    """``raw`` as ``kind`` in [low, high] (None when empty); raises ValueError with a message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or (kind is int and isinstance(raw, float) and not raw.is_integer()):
        raise ValueError(str(_l("Must be a whole number.")))
    try:
        value = kind(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise ValueError(str(_l("Must be a number."))) from None
    if not low <= value <= high:
        raise ValueError(str(_l("Must be between %(low)s and %(high)s.", low=low, high=high)))
    return value


def validate_slots(user: User, raw: Any) -> list[dict]:
    """Clean slot settings ``[{"model_id", "system_prompt", "temperature", "max_tokens"}]``; raises ChatInvalid."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_SLOTS:
        raise ChatInvalid({"slots": str(_l("Pick one to three models."))})
    errors: dict[str, str] = {}
    clean = []
    items = [item if isinstance(item, dict) else {} for item in raw]
    ids = []
    for item in items:
        try:
            ids.append(_number(item.get("model_id"), int, 1, 2**31 - 1))
        except ValueError:
            ids.append(None)
    wanted = {i for i in ids if i is not None}
    usable = {m.id: m for m in db.session.scalars(
        endpoints.live_query(user).where(ModelEndpoint.id.in_(wanted)))} if wanted else {}
    for i, (item, model_id) in enumerate(zip(items, ids)):
        slot: dict[str, Any] = {"slot": i + 1, "endpoint": usable.get(model_id)}
        if slot["endpoint"] is None:
            errors[f"slots.{i}.model_id"] = str(_l("Pick a model you may use."))
        prompt = item.get("system_prompt") or ""
        if not isinstance(prompt, str) or len(prompt) > MAX_SYSTEM_PROMPT:
            errors[f"slots.{i}.system_prompt"] = str(_l("At most %(n)d characters.", n=MAX_SYSTEM_PROMPT))
        slot["system_prompt"] = prompt.strip() if isinstance(prompt, str) else ""
        for field, kind, low, high in (("temperature", float, 0.0, 2.0), ("max_tokens", int, 1, 1_000_000)):
            try:
                slot[field] = _number(item.get(field), kind, low, high)
            except ValueError as exc:
                errors[f"slots.{i}.{field}"] = str(exc)
        clean.append(slot)
    if errors:
        raise ChatInvalid(errors)
    return clean


def validate_content(raw: Any) -> str:
    """The user's message, stripped; raises ChatInvalid when empty or too long."""
    content = raw.strip() if isinstance(raw, str) else ""
    if not content:
        raise ChatInvalid({"content": str(_l("Write a message first."))})
    if len(content) > MAX_CONTENT:
        raise ChatInvalid({"content": str(_l("At most %(n)d characters.", n=MAX_CONTENT))})
    return content


def _apply_slot(row: ChatSlot, clean: dict) -> None:
    """Copy the settings onto ``row``, touching only what changed (an unchanged slot costs no write)."""
    values = {"endpoint_id": clean["endpoint"].id, "endpoint_name": clean["endpoint"].name,
              "system_prompt": clean["system_prompt"], "temperature": clean["temperature"],
              "max_tokens": clean["max_tokens"]}
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)


def create(user: User, slots: Any, title: str | None = None, arena: bool = False) -> Conversation:
    """A new conversation of ``user`` with validated ``slots`` (raises ChatInvalid); ``arena``: a blind battle."""
    clean = validate_slots(user, slots)
    conversation = Conversation(owner_id=user.id, title=clean_title(title) if title else None, arena=arena)
    for item in clean:
        row = ChatSlot(slot=item["slot"])
        _apply_slot(row, item)
        conversation.slots.append(row)
    db.session.add(conversation)
    db.session.commit()
    return conversation


def update_slots(conversation: Conversation, user: User, slots: Any) -> None:
    """Change the settings of the existing slots, saved at once. Their number and models are fixed at creation
    (a model no longer available may be replaced): answers of one chat always come from the same models."""
    if conversation.arena:
        raise ChatInvalid({"slots": str(_l("An arena battle keeps its models and settings."))})
    clean = validate_slots(user, slots)
    if len(clean) != len(conversation.slots):
        raise ChatInvalid({"slots": str(_l("This conversation has %(n)d model(s); start a new chat to change "
                                           "how many.", n=len(conversation.slots)))})
    current = {row.endpoint_id for row in conversation.slots if row.endpoint_id is not None}
    live = {m.id for m in db.session.scalars(endpoints.live_query(user).where(ModelEndpoint.id.in_(current)))}
    locked = {f"slots.{i}.model_id": str(_l("A chat keeps its models: start a new chat to compare other ones."))
              for i, (row, item) in enumerate(zip(conversation.slots, clean))
              if row.endpoint_id in live and item["endpoint"].id != row.endpoint_id}
    if locked:
        raise ChatInvalid(locked)
    for row, item in zip(conversation.slots, clean):
        _apply_slot(row, item)
    if db.session.dirty:
        db.session.commit()


def clean_title(raw: str) -> str:
    """One line of at most 200 characters."""
    return re.sub(r"\s+", " ", raw or "").strip()[:200]


def title_from(content: str) -> str:
    """A title from the first message: its first words, on one line."""
    text = clean_title(content)
    return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH - 1].rstrip() + "…"


def rename(conversation: Conversation, title: str) -> None:
    """Rename; raises ChatInvalid when the title is empty."""
    title = clean_title(title)
    if not title:
        raise ChatInvalid({"title": str(_l("A title is required."))})
    conversation.title = title
    db.session.commit()


def delete(conversation: Conversation, actor: User) -> None:
    """Delete a conversation with its slots, messages and preferences; audited."""
    audit.record("chat.delete", actor, target=conversation, detail=conversation.display_title)
    db.session.delete(conversation)
    db.session.commit()


def last_turn(conversation_id: int) -> int:
    """The number of the newest turn (0 before the first message)."""
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(ChatMessage.turn), 0))
                             .where(ChatMessage.conversation_id == conversation_id))


def _streaming(conversation_id: int, turn: int) -> bool:
    """Whether an answer of ``turn`` still streams (rows left by a restart do not count)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(ChatMessage).where(
        ChatMessage.conversation_id == conversation_id, ChatMessage.turn == turn,
        ChatMessage.status == "streaming", ChatMessage.created_at >= utcnow() - STALE_AFTER)) > 0


def _clean_reason(raw: Any) -> str | None:
    """The optional reason of a vote, on one line; raises ValueError with a message."""
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_REASON:
        raise ValueError(str(_l("At most %(n)d characters.", n=MAX_REASON)))
    return re.sub(r"\s+", " ", raw).strip() or None


def set_preference(conversation: Conversation, turn: Any, choice: Any, reason: Any = None) -> Preference:
    """Record which answer of ``turn`` is better (``A``/``B``/``C``/``tie``/``bad``: all bad), with an optional
    ``reason``; a new vote replaces the old one. In an arena the vote is blind, on the last turn (``turn`` may be
    omitted), once all its answers are in, and final: it reveals the models, so changing it afterwards would let a
    voter favour a name (409)."""
    slots = len(conversation.slots)
    allowed = [c for c in CHOICES if c in ("tie", "bad") or CHOICES.index(c) < slots]
    newest = last_turn(conversation.id)
    if conversation.arena:
        if conversation.preferences:
            raise ChatInvalid({"choice": str(_l("Your vote is final: the names are revealed."))}, status=409)
        if turn is None:
            turn = newest
        if turn == newest and newest and _streaming(conversation.id, newest):
            raise ChatInvalid({"choice": str(_l("Wait until every answer is in, then vote."))}, status=409)
    errors = {}
    if slots < 2:
        errors["choice"] = str(_l("Preferences need at least two models."))
    elif choice not in allowed:
        errors["choice"] = str(_l("Choose one of %(choices)s.", choices=", ".join(allowed)))
    if not isinstance(turn, int) or isinstance(turn, bool) or not 1 <= turn <= newest:
        errors["turn"] = str(_l("No such turn."))
    elif conversation.arena and turn != newest:
        errors["turn"] = str(_l("An arena vote judges the last turn."))
    try:
        reason = _clean_reason(reason)
    except ValueError as exc:
        errors["reason"] = str(exc)
    if errors:
        raise ChatInvalid(errors)
    pref = db.session.scalar(sa.select(Preference).where(Preference.conversation_id == conversation.id,
                                                         Preference.turn == turn))
    if pref is None:
        pref = Preference(conversation_id=conversation.id, turn=turn)
        db.session.add(pref)
    pref.choice, pref.reason, pref.blind, pref.created_at = choice, reason, conversation.arena, utcnow()
    db.session.commit()
    return pref
