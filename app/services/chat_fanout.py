"""Chat fan-out, the upstream side: each slot's model stream on a thread of its own, and stopping them.

A slot's thread reads its model's stream (through the SDK client of app/services/endpoint_client.py) and puts
``(slot, kind, payload)`` on the turn's queue: ``token`` for each piece of text, then one ``end`` with the result
(status, finish reason, usage, TTFT, latency). A failure of one model is that slot's ``end`` with status ``error``;
the others go on. The threads never touch the database.

Stopping: ``request_stop`` (the Stop button, in any process: through Redis) or the client going away sets the turn's
stop event and shuts the upstream sockets, so the models stop generating. A request still waiting for its response
headers cannot be interrupted: its thread ends when they come (or at the timeout) and closes the stream at once.
"""
from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import threading
import time
from typing import TYPE_CHECKING, Iterator

import redis

from app.extensions import queues
from app.queues import QueueUnavailable
from app.services.endpoint_client import explain, on_request_sent, open_chat_stream

if TYPE_CHECKING:
    from app.services.chat_turns import SlotJob, Turn

log = logging.getLogger(__name__)

CUT_MESSAGE = "The stream ended before the model finished (no finish_reason): the connection was cut midway."
_ACTIVE: dict[int, set["Fanout"]] = {}
_ACTIVE_LOCK = threading.Lock()


_TASKS: queue.SimpleQueue = queue.SimpleQueue()
_IDLE = threading.Semaphore(0)


def _worker() -> None:
    while True:
        func, args = _TASKS.get()
        try:
            func(*args)
        except Exception:  # _pump reports its own failures; never lose the thread
            log.exception("chat slot worker failed")
        threading.current_thread().name = "chat-idle"
        _IDLE.release()


def submit(func, *args) -> None:
    """Run ``func(*args)`` on a kept daemon thread: starting a new thread costs about a millisecond, and this is
    on the way to the first token. Threads are added when none is idle, so no slot ever waits for another."""
    _TASKS.put((func, args))
    if not _IDLE.acquire(blocking=False):
        threading.Thread(target=_worker, daemon=True, name="chat-idle").start()


class StreamFailed(RuntimeError):
    """The model reported an error inside its stream."""


def chunks(response) -> Iterator[dict]:
    """The JSON chunks of an OpenAI-style SSE body, read line by line. The SDK's typed chunks cost about 20 times
    the CPU (~70 us against ~4 us a token), which one process serving many streams cannot afford."""
    data: list[str] = []
    for line in response.iter_lines():
        if line.startswith("data:"):
            data.append(line[6:] if line.startswith("data: ") else line[5:])
            continue
        if line or not data:
            continue  # event names, comments, blank keep-alives
        payload, data = "\n".join(data), []
        if payload.strip() == "[DONE]":
            return
        chunk = json.loads(payload)
        if isinstance(chunk, dict) and chunk.get("error"):
            error = chunk["error"]
            raise StreamFailed("The model reported an error: " + str(error.get("message") if isinstance(
                error, dict) else error)[:300])
        yield chunk


def _pump(job: SlotJob, fanout: Fanout, name: str) -> None:
    """Thread body: stream one slot's answer onto the fan-out's events; always ends with one ``end`` event."""
    threading.current_thread().name = name
    events, stop = fanout.events, fanout.stopped
    started = time.perf_counter()
    result: dict = {"status": "complete", "finish_reason": None, "usage": None, "ttft_ms": None}
    try:
        with on_request_sent(lambda: fanout.sent_one(job.slot)):
            response = open_chat_stream(job.client, job.kwargs)
        with contextlib.closing(response):
            job.stream = response
            for chunk in chunks(response):
                if stop.is_set():
                    break
                usage = chunk.get("usage")
                if usage:
                    result["usage"] = (usage.get("prompt_tokens"), usage.get("completion_tokens"))
                for choice in chunk.get("choices") or ():
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        if result["ttft_ms"] is None:
                            result["ttft_ms"] = round((time.perf_counter() - started) * 1000, 1)
                        events.put((job.slot, "token", text))
                    if choice.get("finish_reason"):
                        result["finish_reason"] = choice["finish_reason"]
        if stop.is_set():
            result["status"] = "stopped"
        elif result["finish_reason"] is None:
            result.update(status="error", error=CUT_MESSAGE)
    except Exception as exc:  # every failure of the model is this slot's error, never the others'
        if stop.is_set():
            result["status"] = "stopped"
        else:
            result.update(status="error", error=str(exc) if isinstance(exc, StreamFailed) else explain(exc))
    finally:
        fanout.sent_one(job.slot)  # also when it failed before sending anything
        job.stream = None
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        events.put((job.slot, "end", result))


class Fanout:
    """The threads of one turn, and the stop switch they share."""

    def __init__(self, turn: Turn):
        self.turn = turn
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.stopped = threading.Event()
        self._unsent = {job.slot for job in turn.jobs if job.error is None}
        self._unsent_lock = threading.Lock()
        self._all_sent = threading.Event()

    def start(self) -> None:
        """Start every slot that can start; one that cannot ends at once with its error."""
        with _ACTIVE_LOCK:
            _ACTIVE.setdefault(self.turn.conversation_id, set()).add(self)
        if not self._unsent:
            self._all_sent.set()
        for job in self.turn.jobs:
            if job.error is not None:
                self.events.put((job.slot, "end", {"status": "error", "error": job.error}))
            else:
                submit(_pump, job, self, f"chat-{self.turn.conversation_id}-{job.slot}")

    def sent_one(self, slot: int) -> None:
        """The request of ``slot`` is on its way to the model (or the slot ended without one)."""
        with self._unsent_lock:
            self._unsent.discard(slot)
            if not self._unsent:
                self._all_sent.set()

    def wait_sent(self, timeout: float) -> bool:
        """Block until every slot's request is written to its socket (at most ``timeout`` seconds). The SDK and
        httpx spend ~1 ms of CPU building, connecting and writing a request; a request thread going on with its own
        work meanwhile holds the GIL for up to 5 ms at a time and so delays every request, and every first token."""
        return self._all_sent.wait(timeout)

    def stop(self) -> None:
        """Stop every slot: set the flag and shut the open upstream sockets, which wakes blocked reads."""
        self.stopped.set()
        for job in self.turn.jobs:
            stream = job.stream
            try:
                sock = stream.extensions["network_stream"].get_extra_info("socket")
                sock.shutdown(socket.SHUT_RDWR)
            except Exception:  # no stream yet, or already closed
                pass

    def finish(self) -> None:
        """The turn is over (or its client left): stop what still runs and forget the turn."""
        self.stop()
        with _ACTIVE_LOCK:
            mine = _ACTIVE.get(self.turn.conversation_id, set())
            mine.discard(self)
            if not mine:
                _ACTIVE.pop(self.turn.conversation_id, None)


def streaming(conversation_id: int) -> bool:
    """Whether a turn of the conversation streams in this process."""
    with _ACTIVE_LOCK:
        return bool(_ACTIVE.get(conversation_id))


def _stop_key(conversation_id: int) -> str:
    return f"evalhub:chat:stop:{conversation_id}"


def request_stop(conversation_id: int) -> None:
    """Stop every stream of a conversation: here at once, in other processes within half a second."""
    with _ACTIVE_LOCK:
        local = list(_ACTIVE.get(conversation_id, ()))
    for fanout in local:
        fanout.stop()
    try:
        queues.connection.set(_stop_key(conversation_id), "1", ex=60)
    except (redis.RedisError, QueueUnavailable) as exc:
        log.warning("Chat stop of conversation %s not shared through Redis: %s", conversation_id, exc)


def remote_stop(conversation_id: int) -> bool:
    """Whether a Stop of the conversation was sent to any process (checked by streams every half second)."""
    try:
        return bool(queues.connection.exists(_stop_key(conversation_id)))
    except (redis.RedisError, QueueUnavailable):
        return False


def clear_remote_stop(conversation_id: int) -> bool:
    """Forget an old stop request of the conversation; False when Redis is unreachable (then not polled)."""
    try:
        queues.connection.delete(_stop_key(conversation_id))
        return True
    except (redis.RedisError, QueueUnavailable):
        return False
