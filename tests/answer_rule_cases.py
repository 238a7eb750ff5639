"""Reply styles with the answer EvalHub's rule must read and the score it must give, shared by the rule's unit test
and the end-to-end runs of both engines (the fake model answers question ``[Q<i>]`` with reply ``i``)."""
from __future__ import annotations

import re

# (subset, reply, right options, extracted answer (None: no answer), score)
CASES = [
    ("single", "The answer is (B).", "B", "B", 1.0),
    ("single", "The answer is (B).", "C", "B", 0.0),
    ("single", "B) Paris", "B", "B", 1.0),
    ("single", "**B**", "A", "B", 0.0),
    ("single", "Answer: C\nExplanation: A and B are wrong.", "C", "C", 1.0),
    ("single", "<think>maybe A... no</think> D", "D", "D", 1.0),
    ("single", "<think>The answer is A.</think>\nThe answer is B.", "A", "B", 0.0),
    ("single", "I think it's B, not C.", "B", "B", 1.0),
    ("single", "I think it's B, not C.", "C", "B", 0.0),
    ("single", "b", "B", "B", 1.0),
    ("single", "d", "A", "D", 0.0),
    ("single", "ANSWER: a", "A", "A", 1.0),
    ("single", "(c)", "C", "C", 1.0),
    ("single", "Option D is correct.", "D", "D", 1.0),
    ("single", "C is wrong; the right option is A.", "A", "A", 1.0),
    ("single", "I don't know.", "A", None, 0.0),
    ("single", "It's either A or B.", "A", None, 0.0),
    ("single", "As an AI I cannot answer that.", "C", None, 0.0),
    ("single", "The answer is a tricky one.", "A", None, 0.0),
    ("single", "The answer is E.", "B", None, 0.0),
    ("single", "AC", "A", None, 0.0),
    ("single", "答案：B", "B", "B", 1.0),
    ("single", "答案：A", "D", "A", 0.0),
    ("single", "正确答案是C。", "C", "C", 1.0),
    ("single", "我选D", "D", "D", 1.0),
    ("single", "不是A，是C", "C", "C", 1.0),
    ("single", "选项B是错误的，答案是A", "A", "A", 1.0),
    ("single", "Ｂ", "B", "B", 1.0),
    ("single", "我不知道", "B", None, 0.0),
    ("multi", "AC", "AC", "AC", 1.0),
    ("multi", "The correct options are A and C.", "AC", "AC", 1.0),
    ("multi", "ANSWER: A", "AC", "A", 0.5),
    ("multi", "A, B, C", "AC", "ABC", 0.0),
    ("multi", "答案：A、C", "AC", "AC", 1.0),
    ("multi", "c and a", "AC", "AC", 1.0),
    ("multi", "Both A and C are correct, not B.", "AC", "AC", 1.0),
    ("multi", "ANSWER: B,D", "BD", "BD", 1.0),
    ("multi", "D", "BD", "D", 0.5),
    ("multi", "B", "B", "B", 1.0),
    ("multi", "No idea", "AC", None, 0.0),
]


def rows() -> list[dict]:
    """One MCQ row per case (options A-D), tagged [Q<i>], in a "single" or a "multi" subset."""
    return [{"id": f"r{i}", "subset": subset, "split": "test", "question": f"[Q{i}] Which option is right?",
             "A": "north", "B": "east", "C": "south", "D": "west", "answer": gold}
            for i, (subset, _reply, gold, _extracted, _score) in enumerate(CASES)]


def reply(messages, _request) -> str:
    """The scripted reply of the tagged question."""
    return CASES[int(re.search(r"\[Q(\d+)\]", messages[-1]["content"]).group(1))][1]


def expected() -> dict[str, tuple]:
    """(extracted, score, verdict) by question tag."""
    return {f"[Q{i}]": (extracted, score, "correct" if score == 1.0 else "wrong")
            for i, (_s, _r, _g, extracted, score) in enumerate(CASES)}
