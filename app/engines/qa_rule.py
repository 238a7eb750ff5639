"""Rule first, then judge: a QA answer that matches its reference once both are normalised is correct without a
judge call (the same on every engine; the result readers apply it as each answer arrives, and a re-judge applies it
to the parent's stored answers).

Normalised: Unicode NFKC, ``<think>…</think>`` dropped, lower case, number words written as digits ("twenty-one"
→ 21, "三" → 3), numbers in one form ("1,000" → 1000, "3.50" → 3.5), punctuation removed (dots and apostrophes
join: "U.S.A." is "usa"; others part words: "thing-0" is "thing 0"), whitespace collapsed.
Only the whole answer is compared: "It is Paris." does not match "Paris" (a judge reads that one).
"""
from __future__ import annotations

import re
import unicodedata

THINK = re.compile(r"<think>.*?</think>|<think>.*", re.S | re.I)
UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
WORDS = {**{w: i for i, w in enumerate(UNITS)}, **TENS, "hundred": 100, "thousand": 1000}
CHINESE = {c: i for i, c in enumerate("零一二三四五六七八九十")}
COMPOUND = re.compile(r"\b(" + "|".join(TENS) + r")[\s-]+(" + "|".join(UNITS[1:10]) + r")\b")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?![\w])")
PUNCT = re.compile(r"[^\w\s]|_")


def _number(match: re.Match) -> str:
    text = match.group(0).replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return match.group(0)
    return str(int(value)) if value == int(value) else repr(value)


def normalise(text) -> str:
    """The form two answers are compared in (see the module docstring)."""
    text = THINK.sub("", unicodedata.normalize("NFKC", str(text or ""))).lower()
    text = COMPOUND.sub(lambda m: str(TENS[m.group(1)] + UNITS.index(m.group(2))), text)
    text = re.sub(r"\b(" + "|".join(WORDS) + r")\b", lambda m: str(WORDS[m.group(1)]), text)
    text = "".join(str(CHINESE[c]) if c in CHINESE and len(text.strip()) == 1 else c for c in text)
    text = NUMBER.sub(_number, text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)|['’]", "", text)  # "U.S.A." is "usa"; a dot stays inside a number
    text = PUNCT.sub(lambda m: m.group(0) if m.group(0) == "." else " ", text)
    return " ".join(text.split())


def matches(answer, reference) -> bool:
    """Whether ``answer`` is ``reference`` by the rule (an empty answer never is)."""
    left = normalise(answer)
    return bool(left) and left == normalise(reference)
