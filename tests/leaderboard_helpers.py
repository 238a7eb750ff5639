"""Shared by the leaderboard, compare and publishing tests: 200 known MCQ questions and models of known accuracy."""
from __future__ import annotations

import re

from tests import evals_helpers as h

N = 200


def rows(n: int = N) -> list[dict]:
    """Questions tagged [Q<i>], right answer always B, in two subsets (even / odd tags)."""
    return [{"id": f"q{i}", "subset": "even" if i % 2 == 0 else "odd", "split": "test",
             "question": f"[Q{i}] Which option is right?", "A": "no", "B": "yes", "C": "maybe", "D": "never",
             "answer": "B"} for i in range(n)]


def knows_first(k: int):
    """A fake model answering the questions tagged below ``k`` right (accuracy k / 200), the others wrong."""
    def reply(messages, _request) -> str:
        tag = int(re.search(r"\[Q(\d+)\]", messages[-1]["content"]).group(1))
        return "ANSWER: B" if tag < k else "ANSWER: C"
    return reply


def run_model(user, fake_llm, dataset, name: str, k: int, **selection):
    """A finished run of a model that knows the first ``k`` questions."""
    m = h.model(user, fake_llm, name, f"{name.lower().replace(' ', '-')}-{user.id}", reply=knows_first(k))
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": dataset.id, **selection}]).id, timeout=300)
    assert run.status == "succeeded", run.error
    return run
