"""The exact prompt a sample sent, read from the engine's own record of its answer (``EvalSample.engine_record``):
evalscope keeps the chat messages it sent, OpenCompass the ``origin_prompt``."""
from __future__ import annotations

import json


def _text(content) -> str:
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return "" if content is None else str(content)


def prompt_sent(engine_record: str | None) -> str | None:
    """The messages as sent ("role: text" blocks), or None when the engine kept no record of them."""
    try:
        record = json.loads(engine_record) if engine_record else None
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    messages = [m for m in record.get("messages") or [] if isinstance(m, dict)]
    while messages and messages[-1].get("role") == "assistant":  # evalscope keeps the reply too: not the prompt
        messages.pop()
    if messages:
        return "\n\n".join(f"[{m.get('role', '?')}]\n{_text(m.get('content'))}" for m in messages)
    prompt = record.get("origin_prompt")
    if isinstance(prompt, list):
        return "\n\n".join(f"[{p.get('role', '?')}]\n{_text(p.get('prompt'))}" for p in prompt if isinstance(p, dict))
    return _text(prompt) or None
