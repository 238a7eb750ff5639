"""Chat streaming, the browser side: one message to up to three models at once, relayed over Server-Sent Events.

The slots' upstream streams run on threads of their own (app/services/chat_fanout.py) and share one queue; the SSE
generator (the request thread) relays every token the moment it is queued, so a slow model never holds a fast one
back. The slot threads never touch the database; the turn's rows are written while its tokens flow. Events: ``start``
{conversation_id, turn, user_message, slots}, ``token`` {slot, text}, ``error`` {slot, message} (slot null: the whole
turn), ``done`` {slot, message: the saved answer}, then ``end``. A client that goes away stops the models; what
arrived is saved with status ``stopped``.
"""
from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Iterator

from flask import Response, current_app, stream_with_context

from app.extensions import db
from app.services import chat_json, chat_turns
from app.services.chat_fanout import Fanout, clear_remote_stop, remote_stop, submit
from app.services.chat_turns import Turn

log = logging.getLogger(__name__)

POLL_S = 0.2  # how often a quiet stream checks for a stop request
REMOTE_STOP_EVERY_S = 0.5  # ... and asks Redis (a Stop sent to another gunicorn worker)
KEEPALIVE_S = 10.0  # an SSE comment on a quiet stream (proxies, and noticing a client that left)
STOP_GRACE_S = 2.0  # how long stopped slots may take to report before they are saved as stopped anyway
RECORD_TIMEOUT_S = 30.0
SEND_WAIT_S = 0.1  # how long the request thread stands aside while the slots send their requests


def sse(event: str, data: dict) -> str:
    """One Server-Sent Event."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _batch(events: queue.SimpleQueue, first) -> list:
    """``first`` and whatever else is queued, consecutive tokens of one slot merged (fewer, larger writes)."""
    items = [first]
    while len(items) < 256:
        try:
            items.append(events.get_nowait())
        except queue.Empty:
            break
    merged: list = []
    for slot, kind, payload in items:
        if kind == "token" and merged and merged[-1][1] == "token" and merged[-1][0] == slot:
            merged[-1] = (slot, "token", merged[-1][2] + payload)
        else:
            merged.append((slot, kind, payload))
    return merged


_SQLITE_WRITES = threading.Lock()


def _write_lock():
    """SQLite takes one writer at a time and makes the others sleep and retry (in steps of up to 100 ms) while they
    hold pooled connections: queueing this process's writes on a lock instead wastes neither. Others lock rows."""
    return _SQLITE_WRITES if db.engine.dialect.name == "sqlite" else contextlib.nullcontext()


def _record(turn: Turn) -> None:
    """Write the turn's rows (runs on a kept thread, in an app context of its own)."""
    try:
        with _write_lock():
            chat_turns.record(turn)
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()


def _in_app(func, *args) -> Future:
    """``func(*args)`` on a kept thread inside the current app's context; its result or exception in a future."""
    app, future = current_app._get_current_object(), Future()

    def task():
        with app.app_context():
            try:
                future.set_result(func(*args))
            except Exception as exc:  # handed to whoever waits on the future
                future.set_exception(exc)
    submit(task)
    return future


class _Answers:
    """What arrived for each slot of a turn, and the rows that keep it. The turn's rows are written on another thread
    while tokens already flow (so a busy database never delays a token); the answers by this, the request, thread."""

    def __init__(self, turn: Turn):
        self.turn = turn
        self.jobs = {job.slot: job for job in turn.jobs}
        self.texts: dict[int, list[str]] = {slot: [] for slot in self.jobs}
        self.pending = set(self.jobs)
        self.recording: Future | None = None
        self.failed: str | None = None

    def start_recording(self) -> None:
        db.session.commit()  # end this thread's read transaction: it must see the rows written by the other
        self.recording = _in_app(_record, self.turn)

    def recorded(self) -> bool:
        """Wait until the turn's rows are written; False (and ``failed`` says why) when they could not be."""
        if self.failed is None and self.recording is not None:
            try:
                self.recording.result(timeout=RECORD_TIMEOUT_S)
            except Exception as exc:  # most likely a second tab's turn took this one's place
                log.warning("Chat turn of conversation %s not recorded: %s", self.turn.conversation_id, exc)
                self.failed = ("This message could not be recorded: another answer of this conversation is "
                               "streaming, or the conversation was deleted.")
            self.recording = None
        return self.failed is None

    def token(self, slot: int, text: str) -> str:
        self.texts[slot].append(text)
        return sse("token", {"slot": slot, "text": text})

    def end(self, slot: int, result: dict) -> str:
        """Save the answer of a slot that ended; its events."""
        self.pending.discard(slot)
        job = self.jobs[slot]
        shown = chat_json.HIDDEN_ERROR if self.turn.blind else result.get("error")  # an error may name the model
        out = sse("error", {"slot": slot, "message": str(shown)}) if result["status"] == "error" else ""
        if not self.recorded():
            return out
        fields, saved = chat_turns.answer(self.turn, job, "".join(self.texts[slot]), result)  # with its row's id
        try:
            with _write_lock():
                chat_turns.store_answer(job.message_id, fields)
                db.session.commit()
        except Exception as exc:  # the database failed: the answer was shown, not kept
            db.session.rollback()
            log.error("Chat answer %s not saved: %s", job.message_id, exc)
            out += sse("error", {"slot": slot, "message": f"This answer could not be saved: {exc}"[:300]})
        return out + sse("done", {"slot": slot, "message": saved})

    def stop_rest(self) -> str:
        """Save the slots still open as ``stopped``, with what arrived."""
        return "".join(self.end(slot, {"status": "stopped"}) for slot in sorted(self.pending))


def relay(fanout: Fanout) -> Iterator[str]:
    """The SSE events of a started turn: records it while the models connect, relays tokens, saves answers."""
    turn = fanout.turn
    answers = _Answers(turn)
    try:
        answers.start_recording()
        queues_ok = clear_remote_stop(turn.conversation_id)  # an old Stop must not end this turn
        yield sse("start", {"conversation_id": turn.conversation_id, "turn": turn.number,
                            "regenerate": turn.regenerate, "user_message": chat_turns.asked_json(turn),
                            "slots": [{"slot": j.slot, "model_name": None if turn.blind else j.endpoint_name}
                                      for j in turn.jobs]})
        last_write = last_remote = time.monotonic()
        stop_deadline = None
        while answers.pending:
            now = time.monotonic()
            if stop_deadline is None and queues_ok and now - last_remote >= REMOTE_STOP_EVERY_S:
                last_remote = now
                if remote_stop(turn.conversation_id):
                    fanout.stop()
            if stop_deadline is None and fanout.stopped.is_set():
                stop_deadline = now + STOP_GRACE_S
            if stop_deadline is not None and now >= stop_deadline:
                break  # stopped slots silent past the grace period
            try:
                first = fanout.events.get(timeout=POLL_S)
            except queue.Empty:
                if now - last_write >= KEEPALIVE_S:
                    last_write = now
                    yield ": keepalive\n\n"
                continue
            out = [answers.token(slot, payload) if kind == "token" else answers.end(slot, payload)
                   for slot, kind, payload in _batch(fanout.events, first) if slot in answers.pending]
            last_write = time.monotonic()
            yield "".join(out)
            if answers.failed:
                break
        if answers.recorded():
            yield answers.stop_rest()
        else:
            fanout.stop()
            answers.pending.clear()
            yield sse("error", {"slot": None, "message": answers.failed})
        yield sse("end", {"conversation_id": turn.conversation_id, "turn": turn.number})
    finally:  # also when the client went away (GeneratorExit): stop the models, keep what arrived
        fanout.finish()
        if answers.recorded():
            answers.stop_rest()


def response(turn: Turn) -> Response:
    """Start the turn's upstream requests at once and answer with their SSE stream (no buffering by proxies)."""
    fanout = Fanout(turn)
    fanout.start()
    fanout.wait_sent(SEND_WAIT_S)
    resp = Response(stream_with_context(relay(fanout)), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    resp.call_on_close(fanout.finish)  # also when the body is never read
    return resp
