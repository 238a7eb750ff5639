"""One chat turn, prepared in the request thread: each slot's request (model, history, settings) and the rows that
record it. The fan-out (app/services/chat_fanout.py) runs the requests; its threads never touch the database: the
request thread relaying the stream (app/services/chat.py) writes the rows, committing each step.

History is per slot: every earlier turn's user message and that slot's answer, leaving out the turns where the slot
has no answer (failed), so roles keep alternating as strict chat templates require.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import openai
import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ChatMessage, ChatSlot, Conversation, ModelEndpoint, Preference, User
from app.models.types import utcnow
from app.services import chat_fanout, chat_json, conversations, ownership, settings
from app.services.conversations import STALE_AFTER, ChatInvalid
from app.services.endpoint_client import chat_kwargs, client_for, explain
from app.services.outbound import guard


CHAT_TIMEOUT = 120.0  # seconds without a byte from the model before a slot fails
CHAT_RETRIES = 1
_CLIENTS: OrderedDict[tuple, openai.OpenAI] = OrderedDict()
_CLIENTS_LOCK = threading.Lock()


@dataclass
class SlotJob:
    """One slot's request in a turn; ``error`` is set when it cannot even start (model gone, URL refused)."""

    slot: int
    endpoint_id: int | None
    endpoint_name: str
    client: Any = None
    kwargs: dict = field(default_factory=dict)
    error: str | None = None
    message_id: int | None = None
    stream: Any = None  # the open httpx response of the model's stream (the fan-out shuts it on stop)


@dataclass
class Turn:
    """A user message sent to every slot (or, with ``regenerate``, the last one re-sent to one slot)."""

    conversation_id: int
    number: int
    content: str
    jobs: list[SlotJob]
    title: str | None = None
    regenerate: bool = False
    blind: bool = False  # an arena turn: the stream names no model
    started_at: datetime = field(default_factory=utcnow)


def cached_client(endpoint: ModelEndpoint) -> openai.OpenAI:
    """``client_for(endpoint)``, kept per endpoint state: building an SDK client costs ~25 ms (its TLS context),
    far more than the few milliseconds chat may add to a model's time to first token. The outbound guard still
    runs on every request."""
    key = (endpoint.id, endpoint.base_url, endpoint.api_key_encrypted, endpoint.updated_at,
           settings.allow_private_urls())  # the client's connect-time check follows the setting
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is not None:
            _CLIENTS.move_to_end(key)
    if client is not None:
        guard(endpoint)
        return client
    client = client_for(endpoint, timeout=CHAT_TIMEOUT, max_retries=CHAT_RETRIES)
    with _CLIENTS_LOCK:
        _CLIENTS[key] = client
        while len(_CLIENTS) > 64:
            _CLIENTS.popitem(last=False)
    return client


def _transcript(conversation_id: int) -> list:
    """Every message of the conversation as light rows, in order (one query serves a whole turn's set-up)."""
    return db.session.execute(sa.select(ChatMessage.id, ChatMessage.turn, ChatMessage.slot, ChatMessage.content,
                                        ChatMessage.status, ChatMessage.created_at)
                              .where(ChatMessage.conversation_id == conversation_id)
                              .order_by(ChatMessage.turn, ChatMessage.slot)).all()


def _histories(rows: list, before_turn: int) -> dict[int, list[dict]]:
    """Per slot, the messages of the turns before ``before_turn`` the model should see."""
    asked = {r.turn: r.content for r in rows if r.slot is None}
    out: dict[int, list[dict]] = {}
    for r in rows:
        if (r.slot is not None and r.turn < before_turn and r.status in ("complete", "stopped") and r.content
                and r.turn in asked):
            out.setdefault(r.slot, []).extend([{"role": "user", "content": asked[r.turn]},
                                               {"role": "assistant", "content": r.content}])
    return out


@functools.cache
def _slots_statement() -> sa.Select:
    """The conversation (``conversation_id``, owned by ``user_id``) and its slots, each with its model when the user
    may still use it. Built once: building it costs more than running it, on the way to the first token."""
    user_id = sa.bindparam("user_id")
    usable = sa.and_(ModelEndpoint.id == ChatSlot.endpoint_id, ownership.visible_filter(ModelEndpoint, user_id))
    return (sa.select(Conversation, ChatSlot, ModelEndpoint)
            .join(ChatSlot, ChatSlot.conversation_id == Conversation.id).outerjoin(ModelEndpoint, usable)
            .where(Conversation.id == sa.bindparam("conversation_id"), Conversation.owner_id == user_id)
            .order_by(ChatSlot.slot))


def _slot_models(conversation_id: int, user: User, slot: int | None = None) -> tuple[Conversation, list]:
    """``user``'s conversation (else 404) and its slots, each with its model when ``user`` may still use it:
    ``(conversation, [(slot, model | None)])``."""
    rows = db.session.execute(_slots_statement(), {"conversation_id": conversation_id, "user_id": user.id}).all()
    if not rows:
        abort(404)  # every conversation has at least one slot
    if rows[0][0].arena and rows[0][0].preferences:
        raise ChatInvalid({"content": str(_l("This battle is decided: start a new one."))}, status=409)
    return rows[0][0], [(row, endpoint) for _conversation, row, endpoint in rows
                        if slot is None or row.slot == slot]


def _jobs(slots: list, histories: dict[int, list[dict]], asked: str) -> list[SlotJob]:
    """One job per ``(slot, model)``: the request its model gets, or why it cannot start."""
    jobs = []
    for row, endpoint in slots:
        job = SlotJob(slot=row.slot, endpoint_id=row.endpoint_id,
                      endpoint_name=endpoint.name if endpoint else row.endpoint_name)
        jobs.append(job)
        if endpoint is None:
            job.error = str(_l("This model is no longer available (deleted or not shared with you): pick another."))
            continue
        messages = ([{"role": "system", "content": row.system_prompt}] if row.system_prompt else []) + \
            histories.get(row.slot, []) + [{"role": "user", "content": asked}]
        try:
            job.client = cached_client(endpoint)
            job.kwargs = chat_kwargs(endpoint, messages, temperature=row.temperature, max_tokens=row.max_tokens)
        except Exception as exc:  # the outbound guard refused the URL, or the stored key cannot be read
            job.error = explain(exc) if isinstance(exc, openai.OpenAIError) else str(exc)
    return jobs


def _check_idle(conversation_id: int, rows: list) -> None:
    """Refuse a new turn while an answer of the conversation still streams (rows left by a restart expire)."""
    def busy() -> ChatInvalid:
        return ChatInvalid({"content": str(_l("An answer is still streaming in this conversation: stop it first."))},
                           status=409)
    if chat_fanout.streaming(conversation_id):  # here, perhaps before its rows are written
        raise busy()
    streaming = [r for r in rows if r.status == "streaming"]
    stale = [r.id for r in streaming if r.created_at < utcnow() - STALE_AFTER]
    if stale:
        db.session.execute(sa.update(ChatMessage).where(ChatMessage.id.in_(stale)).values(
            status="error", error="Interrupted: the server stopped while this answer was streaming."))
        db.session.commit()
    if len(stale) < len(streaming):
        raise busy()


def prepare(user: User, conversation_id: int, content: Any) -> Turn:
    """A new turn of ``user``'s conversation (else 404): ``content`` for every slot, each with its own history and
    settings (raises ChatInvalid)."""
    conversation, slots = _slot_models(conversation_id, user)
    content = conversations.validate_content(content)
    rows = _transcript(conversation.id)
    _check_idle(conversation.id, rows)
    number = max((r.turn for r in rows), default=0) + 1
    jobs = _jobs(slots, _histories(rows, number), content)
    title = None if conversation.title else conversations.title_from(content)
    return Turn(conversation.id, number, content, jobs, title=title, blind=conversation.arena)


def prepare_regenerate(user: User, conversation_id: int, slot: int) -> Turn:
    """The last turn's message of ``user``'s conversation (else 404) sent again to ``slot`` alone; its new answer
    replaces the old one."""
    conversation, pair = _slot_models(conversation_id, user, slot)
    rows = _transcript(conversation.id)
    _check_idle(conversation.id, rows)
    number = max((r.turn for r in rows), default=0)
    asked = next((r.content for r in rows if r.turn == number and r.slot is None), None)
    if not pair or asked is None:
        raise ChatInvalid({"slot": str(_l("There is no answer to regenerate."))})
    return Turn(conversation.id, number, asked, _jobs(pair, _histories(rows, number), asked), regenerate=True,
                blind=conversation.arena)


def record(turn: Turn) -> None:
    """Add the turn's rows (the user message, one ``streaming`` answer per slot) before the answers; the caller
    commits (a second turn racing this one fails the unique turn/slot index)."""
    now = turn.started_at
    values: dict[str, Any] = {"updated_at": now}
    if turn.title:
        values["title"] = turn.title
    db.session.execute(sa.update(Conversation).where(Conversation.id == turn.conversation_id).values(**values))
    if turn.regenerate:
        job = turn.jobs[0]
        db.session.execute(sa.delete(Preference).where(Preference.conversation_id == turn.conversation_id,
                                                       Preference.turn == turn.number))
        msg = db.session.scalar(sa.select(ChatMessage).where(
            ChatMessage.conversation_id == turn.conversation_id, ChatMessage.turn == turn.number,
            ChatMessage.slot == job.slot))
        if msg is None:
            msg = ChatMessage(conversation_id=turn.conversation_id, turn=turn.number, slot=job.slot, role="assistant")
            db.session.add(msg)
        for key in ("error", "finish_reason", "ttft_ms", "latency_ms", "prompt_tokens", "completion_tokens"):
            setattr(msg, key, None)
        msg.content, msg.status, msg.created_at = "", "streaming", now
        msg.endpoint_id, msg.endpoint_name = job.endpoint_id, job.endpoint_name
        db.session.flush()
        job.message_id = msg.id
    else:
        user_msg = ChatMessage(conversation_id=turn.conversation_id, turn=turn.number, role="user",
                               content=turn.content, created_at=now)
        answers = [ChatMessage(conversation_id=turn.conversation_id, turn=turn.number, slot=job.slot,
                               role="assistant", status="streaming", endpoint_id=job.endpoint_id,
                               endpoint_name=job.endpoint_name, created_at=now) for job in turn.jobs]
        db.session.add_all([user_msg, *answers])
        db.session.flush()
        for job, msg in zip(turn.jobs, answers):
            job.message_id = msg.id


def asked_json(turn: Turn) -> dict | None:
    """The JSON view of the turn's user message before it is written (its ``id`` is null; None on a regenerate)."""
    if turn.regenerate:
        return None
    return chat_json.message_json(ChatMessage(turn=turn.number, role="user", content=turn.content, status="complete",
                                              created_at=turn.started_at))


def answer(turn: Turn, job: SlotJob, text: str, result: dict) -> tuple[dict, dict]:
    """The row values of one slot's ended answer, and the JSON view of the saved message."""
    usage = result.get("usage") or (None, None)
    fields = {"content": text, "status": result["status"], "error": (result.get("error") or None) and
              result["error"][:500], "finish_reason": result.get("finish_reason"), "ttft_ms": result.get("ttft_ms"),
              "latency_ms": result.get("latency_ms"), "prompt_tokens": usage[0], "completion_tokens": usage[1]}
    msg = ChatMessage(id=job.message_id, turn=turn.number, slot=job.slot, role="assistant", endpoint_id=job.endpoint_id,
                      endpoint_name=job.endpoint_name, created_at=turn.started_at, **fields)
    return fields, chat_json.message_json(msg, blind=turn.blind)


def store_answer(message_id: int, fields: dict) -> None:
    """Update one answer as it ended (the caller commits; a deleted conversation's row is simply gone)."""
    if message_id is None:
        return
    db.session.execute(sa.update(ChatMessage).where(ChatMessage.id == message_id).values(**fields))
