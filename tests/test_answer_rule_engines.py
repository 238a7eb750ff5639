"""The answer-rule table run end to end through both engines: the same replies get the same extracted answers,
scores and verdicts on evalscope and OpenCompass (one run each), and multiple-answer prompts stay in their subset."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EvalSample
from tests import answer_rule_cases as cases
from tests import evals_helpers as h
from tests.test_evals_opencompass import needs_opencompass

MULTIPLE_PROMPT = {"evalscope": "multiple answers may be correct", "opencompass": "One or more options are correct"}


def _run_table(client, user, fake_llm, engine: str):
    m = h.model(user, fake_llm, "Styles bot", "styles-bot", reply=cases.reply)
    d = h.dataset(user, cases.rows(), "mcq", "Reply styles")
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], engine=engine,
                              concurrency=4).id, timeout=300)
    assert run.status == "succeeded", run.error
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)).all()
    got = {s.question.split()[0]: (s.extracted, s.score, s.verdict) for s in samples}
    assert got == cases.expected()
    assert run.score == pytest.approx(sum(c[4] for c in cases.CASES) / len(cases.CASES)) and run.sample_errors == 0
    asked = [r["json"]["messages"][-1]["content"] for r in fake_llm.requests if r["json"]]
    multi = {f"[Q{i}]" for i, c in enumerate(cases.CASES) if c[0] == "multi"}
    assert len(asked) == len(cases.CASES)
    assert "How multiple-choice answers are read" in client.get(f"/evals/{run.id}").data.decode()
    unread = next(s for s in samples if s.prediction == "I don't know.")
    assert "no answer" in client.get(f"/evals/{run.id}/samples/{unread.id}").data.decode()
    for prompt in asked:  # decided per subset: the multiple-answer rows do not change the single-answer prompt
        tag = next(t for t in cases.expected() if t in prompt)
        assert (MULTIPLE_PROMPT[engine] in prompt) == (tag in multi), prompt


def test_reply_styles_score_by_the_rule_on_evalscope(client, user, worker, fake_llm):
    _run_table(client, user, fake_llm, "evalscope")


@needs_opencompass
def test_reply_styles_score_by_the_rule_on_opencompass(client, user, worker, fake_llm):
    _run_table(client, user, fake_llm, "opencompass")
