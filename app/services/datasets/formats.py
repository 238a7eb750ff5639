"""The two row formats, column auto-detection and the normalisation of one raw record.

A normalised record is ``{"id", "subset", "split", "question", ...}`` plus, for ``mcq``, the options ``A``..``J``
(contiguous from A), ``answer`` (letters such as ``"B"`` or ``"A,C"``) and an optional ``explanation``; for ``qa``,
``answer`` (the reference) and optional ``system``, ``context`` and ``alternatives`` (other accepted references).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

LETTERS = "ABCDEFGHIJ"
KEYS = ("id", "subset", "split")
#: Field order of records, exports and ``dataset_info["fields"]``.
FIELD_ORDER = ("question", *LETTERS, "answer", "explanation", "system", "context", "alternatives")
FORMAT_FIELDS = {"mcq": ("question", *LETTERS, "answer", "explanation"),
                 "qa": ("question", "answer", "system", "context", "alternatives")}
#: Column names recognised for each field, most specific first (compared case-insensitively).
CANDIDATES = {
    "id": ("id", "qid", "uid", "question_id", "item_id", "_id"),
    "subset": ("subset", "subject", "category"),
    "split": ("split",),
    "question": ("question", "query", "prompt", "input", "problem", "instruction"),
    "answer": ("answer", "response", "reference", "reference_answer", "target", "output", "label", "gold",
               "ideal", "solution"),
    "explanation": ("explanation", "rationale", "reasoning"),
    "system": ("system", "system_prompt"),
    "context": ("context", "passage", "document"),
    "alternatives": ("alternatives", "aliases", "other_answers"),
    "options": ("options", "choices"),
}
#: Fields whose source column the upload form may name.
MAPPABLE = ("question", "answer", "id", "subset", "split")
LIMITS = {"id": 128, "subset": 128, "split": 64}


class RowInvalid(ValueError):
    """A record breaks the rules of its format; the message lists every reason."""


def text(value) -> str:
    """A cell or JSON value as stripped text (``3.0`` → ``"3"``, ``None`` → ``""``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def answer_letters(value) -> list[str] | None:
    """``"b"``, ``"(B)"``, ``"A, C"``, ``"AC"``, ``["A", "C"]`` → sorted letters; None when it is not letters."""
    raw = " ".join(text(v) for v in value) if isinstance(value, list) else text(value)
    raw = raw.upper().strip("()[]{}. ")
    parts = [p for p in re.split(r"[\s,;/|&+]+", raw) if p]
    if len(parts) == 1 and re.fullmatch(r"[A-J]{2,10}", parts[0]):
        parts = list(parts[0])
    if not parts or any(not re.fullmatch(r"[A-J]", p) for p in parts):
        return None
    return sorted(set(parts))


def _alternatives(value) -> list[str]:
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list):
        value = [value]
    return [t for t in (text(v) for v in value) if t]


@dataclass
class Mapping:
    """How raw records of one upload become normalised records of format ``fmt``.

    ``columns`` maps a field (see ``MAPPABLE``) to the source column chosen in the form; other fields are found
    by ``CANDIDATES``. A blank subset or split takes the default.
    """

    fmt: str
    columns: dict[str, str] = field(default_factory=dict)
    default_subset: str = "default"
    default_split: str = "test"

    def __post_init__(self):
        self.columns = {k: v.strip().lower() for k, v in self.columns.items() if v and v.strip()}

    def _pick(self, lowered: dict, name: str):
        if name in self.columns:
            return lowered.get(self.columns[name])
        for column in CANDIDATES[name]:
            if column in lowered and text(lowered[column]) != "":
                return lowered[column]
        return None

    def normalise(self, raw: dict, number: int = 0) -> dict:
        """The normalised record of ``raw``; raises ``RowInvalid`` naming every problem.

        ``number`` (the record's index in its file) becomes the id of a record that has none.
        """
        lowered = {str(k).strip().lower(): v for k, v in raw.items()}
        reasons: list[str] = []
        record = {"id": text(self._pick(lowered, "id")) or str(number),
                  "subset": text(self._pick(lowered, "subset")) or self.default_subset,
                  "split": text(self._pick(lowered, "split")) or self.default_split}
        for key, limit in LIMITS.items():
            if len(record[key]) > limit:
                reasons.append(_l("%(field)s is longer than %(n)d characters", field=key, n=limit))
        record["question"] = text(self._pick(lowered, "question"))
        if not record["question"]:
            reasons.append(_l("empty question"))
        answer = self._pick(lowered, "answer")
        if self.fmt == "mcq":
            self._mcq(lowered, answer, record, reasons)
        else:
            self._qa(lowered, answer, record, reasons)
        if reasons:
            raise RowInvalid("; ".join(str(r) for r in reasons))
        return record

    def _mcq(self, lowered: dict, answer, record: dict, reasons: list[str]) -> None:
        options = {L: text(lowered.get(L.lower())) for L in LETTERS}
        listed = self._pick(lowered, "options")
        if not any(options.values()) and isinstance(listed, list):
            options = {L: text(v) for L, v in zip(LETTERS, listed)}
        elif not any(options.values()) and isinstance(listed, dict):
            options = {L: text(listed.get(L, listed.get(L.lower()))) for L in LETTERS}
        present = [L for L in LETTERS if options.get(L)]
        if len(present) < 2:
            reasons.append(_l("fewer than 2 options (columns A..J)"))
        elif present != list(LETTERS[:len(present)]):
            gap = next(L for L in LETTERS if not options.get(L))
            reasons.append(_l("option %(letter)s is empty but a later option is set", letter=gap))
        record.update({L: options[L] for L in present})
        if text(answer) == "" and not isinstance(answer, list):
            reasons.append(_l("missing answer"))
            return
        if len(present) < 2:  # the options are already reported; their letters cannot be checked
            return
        letters = answer_letters(answer)
        span = f"{present[0]}–{present[-1]}" if present else "none"
        if letters is None:
            reasons.append(_l("answer %(value)s is not an option letter (%(span)s)", value=repr(text(answer)[:40]),
                              span=span))
        elif any(L not in present for L in letters):
            bad = ",".join(L for L in letters if L not in present)
            reasons.append(_l("answer letter %(letters)s is not among the options (%(span)s)", letters=bad, span=span))
        else:
            record["answer"] = ",".join(letters)
        explanation = text(self._pick(lowered, "explanation"))
        if explanation:
            record["explanation"] = explanation

    def _qa(self, lowered: dict, answer, record: dict, reasons: list[str]) -> None:
        record["answer"] = text(answer)
        if not record["answer"]:
            reasons.append(_l("missing answer"))
        for name in ("system", "context"):
            value = text(self._pick(lowered, name))
            if value:
                record[name] = value
        alternatives = _alternatives(self._pick(lowered, "alternatives"))
        if alternatives:
            record["alternatives"] = alternatives


def data_of(record: dict) -> dict:
    """The part of a record stored in ``DatasetRow.data`` (everything but id, subset and split)."""
    return {k: v for k, v in record.items() if k not in KEYS}


def ordered_fields(names) -> list[str]:
    """``names`` in ``FIELD_ORDER``."""
    names = set(names)
    return [f for f in FIELD_ORDER if f in names]
