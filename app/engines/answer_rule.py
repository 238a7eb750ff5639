"""EvalHub's one rule for reading a multiple-choice answer from a model's reply, the same for every engine.

Both engines' result readers score rule-scored MCQ samples with it from the raw reply (the engine's own extraction
is ignored), so the same reply scores the same on evalscope and OpenCompass. It lives with the engines because the
result readers are its only users (and it imports nothing of the app). The report page (templates/evals/run.html,
"How multiple-choice answers are read") states this rule to users: keep the two in step.

The rule, in order (``<think>…</think>`` reasoning is dropped first, full-width characters are read as ASCII):
1. the whole reply is the answer: ``B``, ``b``, ``(B)``, ``**B**``, ``AC``, ``A, C``, ``A、C``;
2. else the last explicit statement: ``The answer is (B)``, ``ANSWER: b``, ``The correct options are A and C``,
   ``I choose B``, ``答案：B``, ``正确答案是B``, ``选C``;
3. else a reply that starts with an option: ``B) Paris``, ``C. Because …``;
4. else the options the reply names (capital letters, or ``(b)``), leaving out negated ones (``not C``, ``C is
   wrong``, ``不是C``) and the words "A" / "I" (``A careful reading``, ``I think``).
A single-answer question needs exactly one option; anything else (none, several, a letter that is not an option)
is "no answer" (``None``) — never a guessed option.
"""
from __future__ import annotations

import re
import unicodedata

THINK = re.compile(r"<think>.*?</think>|<think>.*", re.S | re.I)
MARKUP = re.compile(r"[*_`#>\"'“”‘’「」【】\[\](){}]")
SEPARATOR = r"(?:\s*(?:,|;|/|&|\+|、|和|与|及|and)\s*|\s+)"
BARE = re.compile(rf"[A-Z]+|[A-Za-z](?:{SEPARATOR}[A-Za-z])*")
STATEMENT = re.compile(
    r"(?:answers?|options?|choices?|letters?)\s*(?:(?:is|are|would be|should be|must be|will be)\b\s*[:=]?|[:=])\s*"
    r"(?:option\s+|choice\s+)?"
    r"|(?:\b(?:choose|chose|pick|select|go with)\s+(?:option\s+|answer\s+)?)"
    r"|(?:答案|选项|答)\s*(?:应该|应)?\s*(?:是|为)?\s*[:：]?\s*|选择?\s*", re.I)
LEADING = re.compile(r"^\s*\(?([A-Za-z])\s*(?:[).:\]]|-|—|$|\n)")
TOKEN = re.compile(r"(?<![A-Za-z0-9])([A-Z])(?![A-Za-z0-9'’])|\(([a-z])\)")
WORD_AFTER = re.compile(r"\s+[a-z]")
LETTER_VERBS = re.compile(r"\s+(?:is|was|are|seems|looks|fits|matches|would|should|because|since|and|or|then)\b")
NEGATED_BEFORE = re.compile(r"(?:\bnot|n't|\bnever|\brather than|\binstead of|\bexcept|\bexcluding|\bbut not|"
                            r"不是|而非|并非|不选|排除|除了)\s*(?:option\s*|选项\s*)?[(]?$", re.I)
NEGATED_AFTER = re.compile(r"^[)]?\s*(?:is|was|are|seems)?\s*(?:not\b|wrong|incorrect|false|不对|错误|错|不正确)", re.I)


def _letters(text: str) -> list[str] | None:
    """The option letters of a bare letter run (``AC``, ``a, c``), or None when ``text`` is not one."""
    if not BARE.fullmatch(text):
        return None
    return re.findall(r"[A-Z]", re.sub(r"\band\b|和|与|及", " ", text, flags=re.I).upper())


def _after_statement(text: str) -> list[str] | None:
    """The letters of the last explicit answer statement, or None."""
    found = None
    for match in STATEMENT.finditer(text):
        rest = MARKUP.sub("", text[match.end():].split("\n", 1)[0])
        run = re.match(rf"[A-Za-z](?![A-Za-z'’])(?:{SEPARATOR}[A-Za-z](?![A-Za-z'’]))*|[A-Z]+(?![A-Za-z'’])", rest)
        if not run:
            continue
        letters = _letters(run.group(0).strip())
        lower = run.group(0).islower()
        if letters and not (lower and WORD_AFTER.match(rest[run.end():])):  # "the answer is a tricky one"
            found = letters
    return found


def _named(text: str) -> list[str]:
    """The options a prose reply names, without negated ones and the words "A" and "I"."""
    named = []
    for match in TOKEN.finditer(text):
        letter = (match.group(1) or match.group(2)).upper()
        after = text[match.end():]
        if match.group(1) in ("A", "I") and WORD_AFTER.match(after) and not LETTER_VERBS.match(after):
            continue
        if match.group(1) == "I" and re.match(r"\s*['’]", after):
            continue
        if NEGATED_BEFORE.search(text[:match.start()]) or NEGATED_AFTER.match(after):
            continue
        named.append(letter)
    return named


def extract_letters(reply: str | None, options: list[str], multiple: bool) -> list[str] | None:
    """The option letters ``reply`` answers (sorted, unique), or None when it gives no readable answer."""
    text = unicodedata.normalize("NFKC", THINK.sub(" ", reply or "")).strip()
    bare = _letters(MARKUP.sub("", text).strip(" .:;!?。，,"))
    letters = bare if bare is not None else _after_statement(text)
    if letters is None:
        leading = LEADING.match(re.sub(r"[*_`#>]", "", text))
        letters = [leading.group(1).upper()] if leading else _named(text)
    chosen = sorted(set(letters))
    if not chosen or any(letter not in options for letter in chosen) or (not multiple and len(chosen) > 1):
        return None
    return chosen


def score_letters(extracted: list[str] | None, gold: list[str], multiple: bool) -> float:
    """1 for the right option(s); for a multiple-answer question a clean subset earns its share, a wrong option 0."""
    if not extracted:
        return 0.0
    if set(extracted) - set(gold):
        return 0.0
    if not multiple:
        return 1.0 if set(extracted) == set(gold) else 0.0
    return len(set(extracted)) / len(set(gold))


def rule_sample(reply: str | None, options: list[str], reference: str, multiple: bool) -> dict:
    """``extracted``, ``score`` and ``verdict`` of an MCQ sample scored by the rule (``extracted`` None: no answer)."""
    letters = extract_letters(reply, options, multiple)
    score = score_letters(letters, list(reference), multiple)
    return {"extracted": "".join(letters) if letters else None, "score": score,
            "verdict": "correct" if score == 1.0 else "wrong"}
