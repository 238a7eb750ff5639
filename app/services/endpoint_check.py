"""'Test connection': list the models, then stream one short chat completion; keep the result on the model."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from flask import current_app

from app.extensions import db
from app.models import ModelEndpoint
from app.models.types import utcnow
from app.services.endpoint_client import NotOpenAICompatible, chat_kwargs, client_for, explain
from app.services.outbound import OutboundRefused

PROBE = [{"role": "user", "content": "Reply with the single word: OK"}]


@dataclass
class CheckResult:
    ok: bool
    message: str
    ttft_ms: float | None = None
    latency_ms: float | None = None
    model_listed: bool | None = None
    reply: str | None = None


def _listed_models(client) -> list[str] | None:
    """Model ids from ``GET /models``; ``None`` when the server has no such route (not every one does)."""
    raw = client.models.with_raw_response.list()
    try:
        body = json.loads(raw.http_response.text)
    except ValueError as exc:
        raise NotOpenAICompatible(
            f"The server's answer is not JSON (content type {raw.headers.get('content-type', 'unknown')}): "
            "is this the API's base URL (usually ending in /v1)?") from exc
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise NotOpenAICompatible("GET /models did not answer an OpenAI-style list of models.")
    return [str(m.get("id")) for m in body["data"] if isinstance(m, dict)]


def _probe_chat(client, endpoint: ModelEndpoint) -> tuple[float, float, str]:
    """Stream a one-word completion; returns (TTFT ms, total ms, reply)."""
    started = time.perf_counter()
    raw = client.chat.completions.with_raw_response.create(
        **chat_kwargs(endpoint, PROBE, max_tokens=8, temperature=0), stream=True)
    content_type = raw.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        raise NotOpenAICompatible(
            f"The server's answer is not JSON nor an event stream (content type {content_type or 'unknown'}): "
            "is this an OpenAI-compatible API's base URL (usually ending in /v1)?")
    ttft = None
    parts: list[str] = []
    finished = False
    for chunk in raw.parse():
        if not getattr(chunk, "choices", None):
            continue
        choice = chunk.choices[0]
        if choice.delta and choice.delta.content:
            if ttft is None:
                ttft = (time.perf_counter() - started) * 1000
            parts.append(choice.delta.content)
        if choice.finish_reason:
            finished = True
    total = (time.perf_counter() - started) * 1000
    if not finished:
        raise NotOpenAICompatible("The stream ended before the answer was complete (no finish reason).")
    return (ttft if ttft is not None else total), total, "".join(parts)


def run_check(endpoint: ModelEndpoint) -> CheckResult:
    """Check ``endpoint`` and store the result as its last check."""
    timeout = current_app.config["MODEL_CHECK_TIMEOUT"]
    try:
        client = client_for(endpoint, timeout=timeout, max_retries=0)
        listed = None
        try:
            names = _listed_models(client)
            listed = endpoint.model_name in names if names is not None else None
        except Exception as exc:  # a missing /models route is not fatal; the chat probe decides
            if not _is_404(exc):
                raise
        ttft, total, reply = _probe_chat(client, endpoint)
        note = "" if listed is None else (" The model is listed by GET /models." if listed
                                          else " Note: GET /models does not list this model name.")
        result = CheckResult(True, f"Connected: first token in {ttft:.0f} ms, answer in {total:.0f} ms.{note}",
                             ttft, total, listed, reply[:200])
    except OutboundRefused as exc:
        result = CheckResult(False, str(exc))
    except Exception as exc:  # every failure becomes a message on the page
        result = CheckResult(False, explain(exc))
    _store(endpoint, result)
    return result


def _is_404(exc: Exception) -> bool:
    return getattr(exc, "status_code", None) == 404


def _store(endpoint: ModelEndpoint, result: CheckResult) -> None:
    endpoint.check_status = "ok" if result.ok else "error"
    endpoint.check_message = result.message[:500]
    endpoint.check_ttft_ms = result.ttft_ms
    endpoint.check_latency_ms = result.latency_ms
    endpoint.check_model_listed = result.model_listed
    endpoint.checked_at = utcnow()
    db.session.commit()
