"""Shared helpers of the chat tests: models on the fake server, conversations, and reading SSE streams."""
from __future__ import annotations

import json
import time

from app.services import endpoints


def chat_ready(page) -> None:
    """Wait until the chat page's script has bound its buttons and stream handlers (a module script runs after
    the page shows: a click before it does nothing, as on a slow machine)."""
    from playwright.sync_api import expect  # (a string predicate would be eval'd, which the page's CSP forbids)
    expect(page.locator("html[data-chat-ready='1']")).to_have_count(1)


def model(owner, fake_llm, model_name: str, name: str | None = None, **behaviour):
    """A model of ``owner`` on the fake server; ``behaviour`` (reply, ttft, token_delay...) registers it there."""
    if behaviour:
        fake_llm.add_model(model_name, **behaviour)
    return endpoints.create(owner, {"name": name or model_name, "base_url": fake_llm.base_url,
                                    "model_name": model_name})


def slots_for(*models, **settings) -> list[dict]:
    return [{"model_id": m.id, **settings} for m in models]


def create_conversation(client, models, headers=None, **settings) -> int:
    """A conversation through the page's JSON call (or the API when ``headers`` carry a token)."""
    url = "/api/v1/conversations" if headers else "/chat/conversations"
    r = client.post(url, json={"slots": slots_for(*models, **settings)}, headers=headers or {})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def parse(text: str) -> list[tuple[str, dict]]:
    """``[(event, data)]`` of an SSE body (comments skipped)."""
    out = []
    for frame in text.split("\n\n"):
        event, data = "message", []
        for line in frame.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            out.append((event, json.loads("\n".join(data))))
    return out


def events(response, until=None) -> list[tuple[str, dict, float]]:
    """Read ``response`` as it streams: ``[(event, data, arrival time)]``; stops early once ``until(events)``."""
    got: list = []
    buffer = ""
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        frames, _, buffer = buffer.rpartition("\n\n")
        now = time.perf_counter()
        for event, data in parse(frames):
            got.append((event, data, now))
        if until is not None and until(got):
            return got
    return got


def send(client, conversation_id: int, content: str, headers=None, **body):
    url = (f"/api/v1/conversations/{conversation_id}/messages" if headers
           else f"/chat/{conversation_id}/messages")
    return client.post(url, json={"content": content, **body}, headers=headers or {})


def done_messages(evs) -> dict[int, dict]:
    """Slot -> the saved message of its ``done`` event."""
    return {d["slot"]: d["message"] for e, d, _ in evs if e == "done"}
