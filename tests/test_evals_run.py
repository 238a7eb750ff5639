"""Evaluations run real evalscope in a real worker against the fake model server."""
import csv
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EvalSample
from tests import evals_helpers as h


@pytest.fixture
def mcq_setup(user, fake_llm):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    return m, d


def test_multiple_answer_mcq_scores_only_the_exact_set(client, user, worker, fake_llm):
    """Rows with several right options (A and C): the model must name exactly those; one single-answer row too."""
    replies = {0: "ANSWER: A,C", 1: "ANSWER: A", 2: "ANSWER: A,B,C", 3: "ANSWER: C,A", 4: "ANSWER: B"}

    def reply(messages, _request):
        return replies[int(re.search(r"\[Q(\d+)\]", messages[-1]["content"]).group(1))]
    m = h.model(user, fake_llm, "Multi bot", "multi-bot", reply=reply)
    rows = [{"id": f"m{i}", "question": f"[Q{i}] Which options are right?", "A": "one", "B": "two", "C": "three",
             "answer": "AC" if i < 4 else "B"} for i in range(5)]
    d = h.dataset(user, rows, "mcq", "Multi-answer MCQ")
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], concurrency=2).id)
    assert run.status == "succeeded", run.error
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)
                                 .order_by(EvalSample.position)).all()
    assert [s.verdict for s in samples] == ["correct", "wrong", "wrong", "correct", "correct"]
    assert [s.score for s in samples] == [1.0, 0.5, 0.0, 1.0, 1.0]  # half the right options: half the credit
    assert [s.extracted for s in samples] == ["AC", "A", "ABC", "AC", "B"] and samples[0].reference == "AC"
    assert run.score == pytest.approx(0.7)
    asked = [r["json"]["messages"][-1]["content"] for r in fake_llm.requests if r["json"]]
    assert asked and all("multiple answers may be correct" in q for q in asked)  # the multiple-answer prompt


def test_mcq_accuracy_is_exactly_the_known_fraction(client, user, worker, mcq_setup):
    m, d = mcq_setup
    run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], concurrency=4)
    assert run.status == "queued" and run.params["datasets"][0]["version"] == d.current_version
    run = h.finished(run.id)
    assert run.status == "succeeded", run.error
    assert run.score == pytest.approx(0.7)
    by_subset = {s["name"]: s for s in run.summary["datasets"][0]["subsets"]}
    assert by_subset["arith"]["score"] == pytest.approx(5 / 6) and by_subset["logic"]["score"] == pytest.approx(0.5)
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)
                                 .order_by(EvalSample.subset, EvalSample.position)).all()
    assert len(samples) == 10 and {s.verdict for s in samples} == {"correct", "wrong"}
    wrong = [s for s in samples if s.verdict == "wrong"]
    assert all(s.extracted == "C" and s.reference == "B" for s in wrong)
    assert run.progress_done == run.progress_total == 10

    page = client.get(f"/evals/{run.id}").data.decode()
    assert "70.0%" in page and "Known MCQ" in page and "evalscope" in page
    wrong_page = client.get(f"/evals/{run.id}/samples?verdict=wrong").data.decode()
    assert wrong_page.count('data-verdict="wrong"') == 3 and 'data-verdict="correct"' not in wrong_page
    sample_page = client.get(f"/evals/{run.id}/samples/{wrong[0].id}").data.decode()
    assert "ANSWER: C" in sample_page
    sent = re.search(r"<pre[^>]*data-prompt>(.*?)</pre>", sample_page, re.S).group(1)
    assert "[user]" in sent and wrong[0].question.split("\n")[0] in sent  # the exact messages evalscope sent,
    assert "ANSWER: [LETTER]" in sent and "[assistant]" not in sent  # its instruction included; the reply is not

    rows = list(csv.DictReader(io.StringIO(client.get(f"/evals/{run.id}/export?format=csv").data.decode())))
    assert len(rows) == 10 and sum(r["verdict"] == "correct" for r in rows) == 7
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/evals/{run.id}/export?format=xlsx").data))
    assert book["Samples"].max_row == 11 and book["Summary"]["C4"].value is not None
    data = client.get(f"/evals/{run.id}/export?format=json").get_json()
    assert data["run"]["score"] == pytest.approx(0.7) and len(data["samples"]) == 10


def test_qa_is_scored_by_the_judge(client, user, worker, fake_llm):
    run, samples = h.judged_qa_run(user, fake_llm, "judge-bot", h.judge_reply)
    assert run.status == "succeeded", run.error
    assert [s.verdict for s in samples] == ["correct", "wrong", "correct", "wrong"]
    assert samples[0].judge_rationale == "The answer contains thing-0."
    assert run.score == pytest.approx(0.5)
    assert len(h.judge_requests(fake_llm, "judge-bot")) == 4  # one judgement per sample
    assert "The answer lacks thing-1." in client.get(f"/evals/{run.id}/samples/{samples[1].id}").data.decode()


def test_a_judge_that_ignores_the_json_format_still_scores_and_an_unusable_reply_is_shown(client, user, worker,
                                                                                         fake_llm):
    run, samples = h.judged_qa_run(user, fake_llm, "wordy-judge", h.judge_reply_styles)
    assert run.status == "succeeded", run.error
    assert [s.verdict for s in samples] == ["correct", "wrong", "correct", "error"]
    assert run.score == pytest.approx(2 / 3) and run.sample_errors == 1
    unusable = samples[3]
    assert "holds no verdict" in unusable.error and unusable.judge_rationale == "I cannot judge this."
    assert "I cannot judge this." in client.get(f"/evals/{run.id}/samples/{unusable.id}").data.decode()
    assert all('"verdict"' in prompt for prompt in h.judge_requests(fake_llm, "wordy-judge"))  # the format asked
    # the model answered: the judge, not the model, left it unscored, and the pages say so
    assert unusable.decided_by == "judge" and run.summary["overall"]["unjudged"] == 1
    assert "not scored: the judge gave no usable verdict" in run.status_note and "failed" not in run.status_note
    page = client.get(f"/evals/{run.id}").data.decode()
    assert "data-unjudged" in page and "data-failed" not in page
    listing = client.get(f"/evals/{run.id}/samples").data.decode()
    assert listing.count(">no verdict</span>") == 1 and ">error</span>" not in listing


def test_qa_needs_a_judge_and_bad_input_changes_nothing(client, user, fake_llm):
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    d = h.dataset(user, h.qa_rows(), "qa", "Known QA")
    r = client.post("/evals/new", data={"model_id": m.id, "dataset_id": d.id, "temperature": "9"})
    page = r.data.decode()
    assert r.status_code == 400
    assert "scored by a judge model" in page and "Must be between 0.0 and 2.0" in page
    assert h.count_runs() == 0


def test_endpoint_errors_on_single_samples_are_counted(user, worker, fake_llm):
    def flaky(messages, request):
        if "[Q3]" in messages[-1]["content"] or "[Q8]" in messages[-1]["content"]:
            raise RuntimeError("upstream exploded")
        return h.mcq_reply(messages, request)
    m = h.model(user, fake_llm, "Flaky", "flaky-bot", reply=flaky)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], concurrency=8).id)
    assert run.status == "succeeded", run.error
    assert run.sample_errors == 2
    errors = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id,
                                                            EvalSample.verdict == "error")).all()
    assert sorted(e.question.split("]")[0] for e in errors) == ["[Q3", "[Q8"]
    assert all("500" in e.error and "upstream exploded" in e.error for e in errors)
    assert run.score == pytest.approx(7 / 8)  # of the 8 answered, only Q6 is wrong
    assert "2 of 10 samples failed" in run.status_note


def test_isolation(app, client, user, worker, mcq_setup, make_user, api_headers):
    m, d = mcq_setup
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}]).id)
    bob = make_user("bob")
    other = app.test_client()
    other.post("/login", data={"username": "bob", "password": "correct-horse"})
    for path in (f"/evals/{run.id}", f"/evals/{run.id}/samples", f"/evals/{run.id}/export?format=csv",
                 f"/evals/{run.id}/events"):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/evals/{run.id}/rerun").status_code == 404
    h_bob = api_headers(bob)
    for path in (f"/api/v1/evals/{run.id}", f"/api/v1/evals/{run.id}/samples", f"/api/v1/evals/{run.id}/export"):
        assert client.get(path, headers=h_bob).status_code == 404, path
    assert client.post(f"/api/v1/evals/{run.id}/cancel", headers=h_bob).status_code == 404
    assert client.get("/api/v1/evals", headers=h_bob).get_json()["total"] == 0
    # bob cannot evaluate alice's model or dataset either
    r = client.post("/api/v1/evals", json={"model_id": m.id, "datasets": [{"dataset_id": d.id}]}, headers=h_bob)
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"model_id", "datasets"}


def test_subsets_whose_names_look_alike_keep_their_own_questions(user, worker, fake_llm):
    """"a.b" and "a b" both read "a_b" in a file name: each subset still gets its own input file and answers."""
    def reply(messages, _request):
        return "ANSWER: B " + re.search(r"\[Q\d+\]", messages[-1]["content"]).group(0)
    m = h.model(user, fake_llm, "Tagger", "tagger", reply=reply)
    rows = [dict(r, subset=subset) for r, subset in zip(h.mcq_rows(4), ["a.b", "a.b", "a b", "a b"])]
    d = h.dataset(user, rows, "mcq", "Look-alike subsets")
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}]).id)
    assert run.status == "succeeded", run.error
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)).all()
    assert sorted((s.subset, s.question.split("]")[0] + "]") for s in samples) == [
        ("a b", "[Q2]"), ("a b", "[Q3]"), ("a.b", "[Q0]"), ("a.b", "[Q1]")]
    assert all(s.question.split()[0] in s.prediction for s in samples)  # each scored on its own question's answer
