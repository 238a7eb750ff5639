"""Judges you can check (#14): re-judge stored answers without asking the model again, answers only then judge,
rule first then judge. Real evalscope in a real worker against the fake model server, which counts requests."""
import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EvalSample
from app.services import run_costs
from app.services.judging import labels, rejudge
from tests import evals_helpers as h
from tests.test_evals_opencompass import needs_opencompass


def strict_judge(messages, _request) -> str:
    """A second judge: correct only when the answer is exactly "It is thing-<i>." for a multiple of 4."""
    prompt = messages[-1]["content"]
    tag = int(re.search(r"\[Q(\d+)\]", prompt).group(1))
    return json.dumps({"reasoning": "strict", "verdict": "A" if tag % 4 == 0 else "B"})


def samples_of(run_id: int) -> list[EvalSample]:
    return db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run_id)
                              .order_by(EvalSample.position)).all()


def asked(fake_llm, model_name: str) -> int:
    return len(h.judge_requests(fake_llm, model_name))


def test_rejudge_asks_only_the_new_judge_and_scores_its_verdicts(client, user, worker, fake_llm, api_headers):
    n = 100
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    j = h.model(user, fake_llm, "Judge", "judge-bot", reply=h.judge_reply)
    strict = h.model(user, fake_llm, "Strict judge", "strict-judge", reply=strict_judge)
    d = h.dataset(user, h.qa_rows(n), "qa", "QA set")
    parent = h.finished(h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}]).id, 240)
    assert parent.status == "succeeded" and parent.score == pytest.approx(0.5)
    assert asked(fake_llm, "qa-bot") == n and asked(fake_llm, "judge-bot") == n
    fake_llm.requests.clear()

    r = client.post(f"/api/v1/evals/{parent.id}/rejudge", json={"judge_id": strict.id}, headers=api_headers(user))
    assert r.status_code == 202, r.get_json()
    body = r.get_json()
    assert body["parent_run_id"] == parent.id and body["status"] == "queued"
    child = h.finished(body["id"], 240)
    assert child.status == "succeeded", child.error
    assert asked(fake_llm, "qa-bot") == 0  # no request reaches the candidate model
    assert asked(fake_llm, "strict-judge") == n and asked(fake_llm, "judge-bot") == 0
    rows = samples_of(child.id)
    assert [s.verdict for s in rows] == ["correct" if i % 4 == 0 else "wrong" for i in range(n)]
    assert all(s.decided_by == "judge" for s in rows)
    assert child.score == pytest.approx(0.25) and child.judge_name == "Strict judge"
    assert [s.prediction for s in rows] == [s.prediction for s in samples_of(parent.id)]
    assert parent.score == pytest.approx(0.5)  # the parent keeps its own verdicts
    # the child's tokens: the parent's answers (the model was not asked again) and its own judge's requests
    parent_tokens, child_tokens = run_costs.run_usage(parent)["tokens"], run_costs.run_usage(child)["tokens"]
    assert child_tokens["model"] == parent_tokens["model"] and parent_tokens["model"]["prompt"] > 0
    prompt, completion = h.served_tokens(fake_llm, "strict-judge", strict_judge)
    assert child_tokens["judge"] == {"prompt": prompt, "completion": completion}

    page = client.get(f"/evals/{child.id}").data.decode()
    assert f'href="/evals/{parent.id}"' in page and "Re-judged from" in page
    assert f'href="/evals/{child.id}"' in client.get(f"/evals/{parent.id}").data.decode()


def test_rejudge_refuses_bad_input_and_foreign_runs(client, user, make_user, fake_llm, api_headers):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(4), "mcq", "MCQ")
    run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}])
    headers = api_headers(user)
    r = client.post(f"/api/v1/evals/{run.id}/rejudge", json={"judge_id": 999999}, headers=headers)
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) >= {"judge_id", "status"}
    other = make_user("bob")
    r = client.post(f"/api/v1/evals/{run.id}/rejudge", json={"judge_id": m.id}, headers=api_headers(other))
    assert r.status_code == 404
    assert h.count_runs() == 1


def test_answers_only_then_rejudge_scores_as_one_stage(client, user, worker, fake_llm):
    n = 12
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    j = h.model(user, fake_llm, "Judge", "judge-bot", reply=h.judge_reply)
    d = h.dataset(user, h.qa_rows(n), "qa", "QA set")
    one = h.finished(h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}]).id)
    assert one.status == "succeeded" and one.score == pytest.approx(0.5)
    fake_llm.requests.clear()

    r = client.post("/evals/new", data={"model_id": m.id, "dataset_id": d.id, "answers_only": "y"})
    assert r.status_code == 302, r.data.decode()[:3000]
    run_id = int(r.headers["Location"].rsplit("/", 1)[1])
    answered = h.finished(run_id)
    assert answered.status == "answered", answered.error
    assert asked(fake_llm, "qa-bot") == n and asked(fake_llm, "judge-bot") == 0
    rows = samples_of(answered.id)
    assert [s.verdict for s in rows] == ["pending"] * n and all(s.prediction and s.engine_record for s in rows)
    assert answered.score is None and "re-judge" in answered.status_note
    assert answered.progress_done == answered.progress_total == n  # answered is all it waits for
    listing = client.get(f"/evals/{answered.id}/samples?verdict=pending").data.decode()
    assert listing.count('data-verdict="pending"') == n and "It is thing-0." in listing
    assert 'value="answered"' in client.get("/evals/?status=answered").data.decode()
    assert f"/evals/{answered.id}" in client.get("/evals/?status=answered").data.decode()

    labels.label(rows[1], "wrong", "says it does not know")  # a person's label stays with its answer
    fake_llm.requests.clear()
    two = h.finished(rejudge.create(answered, user, {"judge_id": j.id}).id)
    assert two.status == "succeeded", two.error
    assert samples_of(two.id)[1].human_verdict == "wrong" and samples_of(two.id)[1].human_note
    assert asked(fake_llm, "qa-bot") == 0 and asked(fake_llm, "judge-bot") == n
    assert two.score == one.score  # two stages, one judge: the same score
    assert [s.verdict for s in samples_of(two.id)] == [s.verdict for s in samples_of(one.id)]


def test_answers_only_refuses_a_judge_and_rule_first_needs_one(client, user, fake_llm):
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    d = h.dataset(user, h.qa_rows(2), "qa", "QA set")
    r = client.post("/evals/new", data={"model_id": m.id, "judge_id": m.id, "dataset_id": d.id,
                                        "answers_only": "y"})
    assert r.status_code == 400 and "Answers only means no judge yet" in r.data.decode()
    r = client.post("/evals/new", data={"model_id": m.id, "dataset_id": d.id, "rule_first": "y"})
    assert r.status_code == 400 and "Rule first sends the answers" in r.data.decode()
    assert h.count_runs() == 0


def rule_first_reply(messages, _request) -> str:
    """Answers Q0-Q59 with the reference in another form (case, spaces, punctuation); the rest in a sentence
    (right for even ones) the rule does not accept."""
    tag = int(re.search(r"\[Q(\d+)\]", messages[-1]["content"]).group(1))
    if tag < 60:
        return [f"thing-{tag}", f"  THING-{tag}. ", f"Thing {tag}!"][tag % 3]
    return f"It is thing-{tag}." if tag % 2 == 0 else "No idea."


def test_rule_first_sends_only_the_rest_to_the_judge(client, user, worker, fake_llm, api_headers):
    n = 100
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=rule_first_reply)
    j = h.model(user, fake_llm, "Judge", "judge-bot", reply=h.judge_reply)
    d = h.dataset(user, h.qa_rows(n), "qa", "QA set")
    r = client.post("/api/v1/evals", headers=api_headers(user), json={
        "model_id": m.id, "judge_id": j.id, "datasets": [{"dataset_id": d.id}], "rule_first": True})
    assert r.status_code == 202, r.get_json()
    run = h.finished(r.get_json()["id"], 240)
    assert run.status == "succeeded", run.error
    assert asked(fake_llm, "qa-bot") == n
    assert asked(fake_llm, "judge-bot") == 40  # exactly the answers the rule did not accept
    rows = samples_of(run.id)
    assert [s.decided_by for s in rows] == ["rule"] * 60 + ["judge"] * 40
    assert all(s.verdict == "correct" for s in rows[:60])
    assert [s.verdict for s in rows[60:]] == ["correct", "wrong"] * 20
    assert run.score == pytest.approx(0.8)
    body = client.get(f"/api/v1/evals/{run.id}", headers=api_headers(user)).get_json()
    assert body["decided"] == {"rule": 60, "judge": 40}
    page = client.get(f"/evals/{run.id}").data.decode()
    assert "Decided by rule: 60" in page and "by the judge: 40" in page

    fake_llm.requests.clear()  # a re-judge with rule first: the rule decides at once, the judge reads the rest
    child = h.finished(rejudge.create(run, user, {"judge_id": j.id, "rule_first": True}).id)
    assert child.status == "succeeded", child.error
    assert asked(fake_llm, "qa-bot") == 0 and asked(fake_llm, "judge-bot") == 40
    assert child.score == pytest.approx(0.8)


def half_exact_reply(messages, request) -> str:
    """Q0-Q3: the reference in another case and punctuation; the rest as qa_reply (a sentence, or "No idea.")."""
    tag = int(re.search(r"\[Q(\d+)\]", messages[-1]["content"]).group(1))
    return f"Thing-{tag}." if tag < 4 else h.qa_reply(messages, request)


@needs_opencompass
def test_opencompass_rule_first_in_two_stages_then_rejudge(user, worker, fake_llm):
    """OpenCompass: answers first (its ``-m infer``), the rule accepts the matching ones, the judge reads the rest;
    a re-judge of an answered run asks only the judge."""
    n = 8
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=half_exact_reply)
    j = h.model(user, fake_llm, "Judge", "judge-bot", reply=h.judge_reply)
    d = h.dataset(user, h.qa_rows(n), "qa", "QA set")
    run = h.finished(h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}],
                              engine="opencompass", rule_first=True).id, 300)
    assert run.status == "succeeded", run.error
    assert asked(fake_llm, "qa-bot") == n and asked(fake_llm, "judge-bot") == n - 4
    rows = samples_of(run.id)
    assert [s.decided_by for s in rows] == ["rule"] * 4 + ["judge"] * 4
    assert [s.verdict for s in rows] == ["correct"] * 4 + ["correct", "wrong"] * 2
    assert run.score == pytest.approx(0.75)

    answered = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], engine="opencompass",
                                   answers_only=True).id, 300)
    assert answered.status == "answered", answered.error
    assert [s.verdict for s in samples_of(answered.id)] == ["pending"] * n
    fake_llm.requests.clear()
    child = h.finished(rejudge.create(answered, user, {"judge_id": j.id}).id, 300)
    assert child.status == "succeeded", child.error
    assert asked(fake_llm, "qa-bot") == 0 and asked(fake_llm, "judge-bot") == n
    # without the rule, this case-sensitive judge rejects "Thing-0." for "thing-0": only Q4 and Q6 pass
    assert [s.verdict for s in samples_of(child.id)] == ["wrong"] * 4 + ["correct", "wrong"] * 2
