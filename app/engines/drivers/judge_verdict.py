"""EvalHub's one reader of a judge's verdict, the same for every engine (stdlib only).

Imported by the OpenCompass driver from its own directory (it runs in OpenCompass's virtualenv) and by the app's
result readers as ``app.engines.drivers.judge_verdict``, so a judge reply means the same thing on either engine.
The default judge prompt (``app/services/evals.py``) asks for what evalscope's judge contract parses: a JSON object
with "reasoning" and "verdict" ("A" correct, "B" incorrect); this reader also accepts what judges reply instead.
The CompassVerifier-style prompt adds "C" (an invalid answer: cut off, repeated, or refusing): read as no usable
verdict, so a panel excludes that judge on that sample instead of counting it as wrong.
"""
from __future__ import annotations

import json
import re

CORRECT, WRONG, INVALID = "A", "B", "C"
VERDICT_KEY = re.compile(r'"?\b(?:verdict|grade|judgement|judgment)\b"?\s*[:=]\s*"?\(?([ABC])\b', re.I)
BOXED = re.compile(r"\\boxed\{\s*([ABC])\s*\}")  # CompassVerifier's "\boxed{A}"
LEADING = re.compile(r"^\W*([ABC])(?:\s*[:.)\]]|\s*$)")
LETTER = re.compile(r"\b(?:A(?!\s+[a-z])|B)\b")  # "A careful check…" is an article, not a verdict
WORD = re.compile(r"(\bNOT\s+|N['’]T\s+)?\b(INCORRECT|CORRECT|WRONG|RIGHT)\b|(不正确|错误|不对|正确)")
WRONG_WORDS = {"INCORRECT", "WRONG", "不正确", "错误", "不对"}
#: Marks of the judge prompts' own text: a reply holding them repeats the prompt (its option list too), no verdict.
ECHO = re.compile(r"\[Predicted Answer\]|<Candidate's Answer Begin>|A:\s*CORRECT[\s\S]*B:\s*INCORRECT", re.I)


def _json_verdict(text: str) -> str | None:
    """The "verdict" of a JSON object reply ({"verdict": "A"}, or "CORRECT" / "INCORRECT"), else None."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        data = json.loads(text[start:end + 1])
    except ValueError:
        return None
    value = str(data.get("verdict") or data.get("grade") or "").strip() if isinstance(data, dict) else ""
    return verdict(value) or (INVALID if value.upper() == INVALID else None) if value and "{" not in value else None


def verdict(reply) -> str | None:
    """"A" (correct), "B" (wrong) or None (no usable verdict) from a judge's reply.

    Reasoning in ``<think>…</think>`` is skipped (a reply cut off inside it has no verdict); then, in order: a JSON
    "verdict", ``\boxed{X}``, a "verdict: X" line; a reply that repeats the prompt (its answer markers, or its whole
    option list) has none; a reply that starts with the letter, the last standalone A or B (not the article "A
    careful…"), else the last of the words CORRECT / INCORRECT / WRONG / RIGHT, turned by a "not" before it
    ("not correct" is wrong), or 正确 / 错误. A "C" (CompassVerifier's invalid answer) is no verdict.
    """
    text = str(reply or "").rsplit("</think>", 1)[-1]
    text = re.sub(r"<think>.*", "", text, flags=re.S).strip()
    found = _json_verdict(text)
    if found:
        return None if found == INVALID else found
    for pattern in (BOXED, VERDICT_KEY, ECHO, LEADING):
        match = pattern.search(text)
        if match and pattern is ECHO:
            return None
        if match:
            letter = match.group(1).upper()
            return None if letter == INVALID else letter
    letters = LETTER.findall(text)
    if letters:
        return letters[-1]
    words = WORD.findall(text.upper())
    if not words:
        return None
    negated, word, chinese = words[-1]
    wrong = (word or chinese) in WRONG_WORDS
    return CORRECT if wrong == bool(negated) else WRONG
