"""The judge prompts a user picks by name: ``default`` and ``compassverifier`` (A correct / B incorrect / C invalid).

Both ask for the reply every engine reads the same way: a JSON object with "reasoning" and "verdict". evalscope's
judge contract parses that object (and appends the same request to the prompt); EvalHub's verdict reader
(``app/engines/drivers/judge_verdict.py``) reads it on either engine and on a panel, together with a bare letter,
CompassVerifier's ``\\boxed{A}``, CORRECT / INCORRECT or 正确 / 错误. A "C" is no usable verdict: a panel
excludes that judge on that sample; a single judge leaves the sample not scored, its reply shown.
"""
from __future__ import annotations

DEFAULT_JUDGE_PROMPT = """Your job is to look at a question, a gold target, and a predicted answer, and decide whether the predicted answer is correct or incorrect.

[Question]
{question}

[Reference Answer]
{gold}

[Predicted Answer]
{pred}

Evaluate the model's answer based on correctness compared to the reference answer.
Grade the predicted answer of this new question as one of:
A: CORRECT
B: INCORRECT

Reply with a JSON object with two keys: "reasoning" (one short sentence) and "verdict" ("A" or "B")."""

COMPASS_VERIFIER_PROMPT = """As a grading expert, decide whether the candidate's final answer matches the standard answer.

Evaluation protocol:
1. The standard answer is definitive and always correct, and the question is valid: do not solve it again, only compare.
2. Compare the candidate's final answer with the standard answer: equivalent forms (units, notation, wording that means the same) match; a missing or extra part of a multi-part answer does not.
3. Validity: an answer that is cut off, repeats itself excessively, or refuses to answer is invalid.

Grades:
A: CORRECT - the final answer matches the standard answer
B: INCORRECT - the final answer does not match
C: INVALID - the answer is cut off, repeats itself, or refuses

<Original Question Begin>
{question}
<Original Question End>
<Standard Answer Begin>
{gold}
<Standard Answer End>
<Candidate's Answer Begin>
{pred}
<Candidate's Answer End>

Reply with a JSON object with two keys: "reasoning" (your analysis, briefly) and "verdict" ("A", "B" or "C")."""

NAMED = {"default": DEFAULT_JUDGE_PROMPT, "compassverifier": COMPASS_VERIFIER_PROMPT}


def resolve(prompt: str) -> str:
    """A named prompt's text (``"compassverifier"``), else ``prompt`` itself; empty is the default."""
    prompt = prompt.strip()
    return NAMED.get(prompt.lower(), prompt) if prompt else DEFAULT_JUDGE_PROMPT


def fill(prompt: str, question: str, gold: str, pred: str) -> str:
    """The prompt with its fields filled (plain replacement: braces elsewhere in it stay as they are)."""
    return prompt.replace("{question}", question).replace("{gold}", gold).replace("{pred}", pred)
