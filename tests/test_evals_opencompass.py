"""The OpenCompass engine: real OpenCompass runs in a real worker against the fake model server (MCQ by rule, QA
by a fake judge), and the form's answers when OpenCompass is missing or asked for what it does not do."""
import os
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EvalSample
from app.services import endpoints, evals
from config import BASE_DIR
from tests import evals_helpers as h

OPENCOMPASS_PYTHON = os.environ.get("EVALHUB_OPENCOMPASS_PYTHON") or str(BASE_DIR / ".venv-opencompass/bin/python")
needs_opencompass = pytest.mark.skipif(
    not Path(OPENCOMPASS_PYTHON).exists() and not os.environ.get("CI"),
    reason="OpenCompass virtualenv missing: run scripts/opencompass_venv.sh (under CI this test always runs)")


@needs_opencompass
def test_opencompass_mcq_accuracy_is_exactly_the_known_fraction(client, user, worker, fake_llm):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], engine="opencompass", concurrency=4)
    assert run.engine == "opencompass" and run.engine_version == "0.5.4"
    run = h.finished(run.id, timeout=240)
    assert run.status == "succeeded", run.error
    assert run.score == pytest.approx(0.7) and run.sample_errors == 0
    by_subset = {s["name"]: s for s in run.summary["datasets"][0]["subsets"]}
    assert by_subset["arith"]["score"] == pytest.approx(5 / 6) and by_subset["logic"]["score"] == pytest.approx(0.5)
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)
                                 .order_by(EvalSample.subset, EvalSample.position)).all()
    assert len(samples) == 10 and sum(s.verdict == "correct" for s in samples) == 7
    wrong = [s for s in samples if s.verdict == "wrong"]
    assert all(s.extracted == "C" and s.reference == "B" and s.prediction == "ANSWER: C" for s in wrong)
    assert sorted(s.question.split("]")[0] for s in wrong) == ["[Q3", "[Q6", "[Q8"]
    assert run.progress_done == run.progress_total == 10
    page = client.get(f"/evals/{run.id}").data.decode()
    assert "70.0%" in page and "opencompass" in page
    # the key travels in the environment, never in a file OpenCompass keeps
    work = Path(run.work_dir)
    assert "key='ENV'" in (work / "opencompass_config.py").read_text()
    assert (work / "out" / "evalhub" / "results" / "evalhub-model").is_dir()


@needs_opencompass
def test_opencompass_scores_qa_with_the_judge_beside_mcq_by_rule(client, user, worker, fake_llm):
    def both(messages, request):
        return (h.mcq_reply if "Which option" in messages[-1]["content"] else h.qa_reply)(messages, request)
    m = h.model(user, fake_llm, "Both bot", "both-bot", reply=both)
    fake_llm.add_model("judge-bot", reply=h.judge_reply)
    j = endpoints.create(user, {"name": "Judge", "base_url": fake_llm.base_url, "model_name": "judge-bot",
                                "api_key": "judge-secret-42", "max_concurrency": 8})
    qa = h.dataset(user, h.qa_rows(), "qa", "Known QA")
    mcq = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    run = h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": mcq.id}, {"dataset_id": qa.id}],
                   engine="opencompass", concurrency=4)
    run = h.finished(run.id, timeout=300)
    assert run.status == "succeeded", run.error
    by_name = {d["name"]: d for d in run.summary["datasets"]}
    assert by_name["Known QA"]["score"] == pytest.approx(0.5) and by_name["Known MCQ"]["score"] == pytest.approx(0.7)
    assert run.score == pytest.approx(9 / 14) and run.sample_errors == 0
    qa_samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id,
                                                                EvalSample.dataset_id == qa.id)
                                    .order_by(EvalSample.position)).all()
    assert [s.verdict for s in qa_samples] == ["correct", "wrong", "correct", "wrong"]
    assert [s.prediction for s in qa_samples[:2]] == ["It is thing-0.", "No idea."]
    assert qa_samples[0].judge_rationale == "The answer contains thing-0."
    assert qa_samples[1].judge_rationale == "The answer lacks thing-1."
    asked = h.judge_requests(fake_llm, "judge-bot")
    assert len(asked) == 4 and all("[Reference Answer]" in a and "{" not in a for a in asked)  # MCQ is not judged
    assert run.progress_done == run.progress_total == 10 + 2 * 4
    mcq_samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id,
                                                                 EvalSample.dataset_id == mcq.id)).all()
    assert sum(s.verdict == "correct" for s in mcq_samples) == 7 and not any(s.judge_rationale for s in mcq_samples)
    assert "The answer lacks thing-1." in client.get(f"/evals/{run.id}/samples/{qa_samples[1].id}").data.decode()
    # the judge's key reaches the judge through the environment, never through a file
    judged = [r for r in fake_llm.requests if r["json"] and r["json"].get("model") == "judge-bot"]
    assert all(r["headers"]["authorization"] == "Bearer judge-secret-42" for r in judged)
    files = [f for f in Path(run.work_dir).rglob("*") if f.is_file()]
    assert files and not any(b"judge-secret-42" in f.read_bytes() for f in files)


def test_opencompass_judge_verdicts_read_past_reasoning(monkeypatch):
    """The driver's verdict reader (OpenCompass's own takes the first capital A or B anywhere)."""
    import importlib.util
    import types

    stub = types.ModuleType("opencompass.models")
    stub.OpenAISDK = object  # the driver module runs in OpenCompass's virtualenv; only its parser is tested here
    monkeypatch.setitem(sys.modules, "opencompass", types.ModuleType("opencompass"))
    monkeypatch.setitem(sys.modules, "opencompass.models", stub)
    path = BASE_DIR / "app" / "engines" / "drivers" / "opencompass_judge.py"
    spec = importlib.util.spec_from_file_location("opencompass_judge", path)
    judge = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(judge)
    replies = {"A": "A", "B.": "B", "(B)": "B", "A: CORRECT": "A", '{"reasoning": "Both say B.", "verdict": "A"}': "A",
               "<think>A? or B? Probably A.</think>\nB": "B", "<think>cut off while thinking about A": None,
               "A careful reading shows it differs, so B": "B", "The answer is INCORRECT.": "B", "no idea": None}
    assert {reply: judge.verdict(reply) for reply in replies} == replies
    out = judge.judge_verdicts({"1": {"prediction": "B"}, "0": {"prediction": "A"}, "2": {"prediction": "?"}}, "")
    assert out["accuracy"] == pytest.approx(100 / 3)
    assert [(d["correct"], d["verdict"], d["judge"]) for d in out["details"]] == [
        (True, "A", "A"), (False, "B", "B"), (False, None, "?")]


def test_opencompass_is_unavailable_with_a_clear_message(app, client, auth, user, make_user, fake_llm,
                                                          api_headers):
    app.config["OPENCOMPASS_PYTHON"] = "/nowhere/bin/python"
    ok, why = evals.engine_state("opencompass")
    assert not ok and "/nowhere/bin/python does not exist" in why and "scripts/opencompass_venv.sh" in why
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    page = client.get("/evals/new").data.decode()  # an ordinary user: no server path, no shell command
    assert "OpenCompass is not installed on this server: ask an administrator." in page
    assert "/nowhere" not in page and "opencompass_venv.sh" not in page
    r = client.post("/api/v1/evals", json={"model_id": m.id, "engine": "opencompass",
                                           "datasets": [{"dataset_id": d.id}]}, headers=api_headers(user))
    assert r.status_code == 422 and "ask an administrator" in r.get_json()["error"]["fields"]["engine"]
    assert "/nowhere" not in r.get_data(as_text=True)
    assert h.count_runs() == 0
    make_user("boss", role="admin")
    auth.logout()
    auth.login("boss")
    assert "scripts/opencompass_venv.sh" in client.get("/evals/new").data.decode()  # admins see how to fix it


def test_opencompass_form_needs_a_judge_for_qa_and_refuses_a_judge_for_mcq(app, client, user, fake_llm):
    app.config["OPENCOMPASS_PYTHON"] = sys.executable  # present: the engine counts as installed
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    j = h.model(user, fake_llm, "Judge", "judge-bot", reply=h.judge_reply)
    qa = h.dataset(user, h.qa_rows(), "qa", "Known QA")
    mcq = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    r = client.post("/evals/new", data={"model_id": m.id, "dataset_id": qa.id, "engine": "opencompass"})
    page = r.data.decode()
    assert r.status_code == 400 and "QA datasets are scored by a judge model: choose one." in page
    assert "choose evalscope" not in page  # the same answer as evalscope's: QA is OpenCompass's too now
    r = client.post("/evals/new", data={"model_id": m.id, "judge_id": j.id, "dataset_id": mcq.id,
                                        "engine": "opencompass", "judge_mcq": "y"})
    assert r.status_code == 400 and "choose evalscope to have a judge model score them" in r.data.decode()
    assert h.count_runs() == 0


@needs_opencompass
def test_opencompass_cancel_keeps_answers_and_resume_reuses_them(client, user, worker, fake_llm):
    from collections import Counter

    from tests.test_evals_lifecycle import engine_alive, progressed
    from tests.services import wait_for

    m = h.model(user, fake_llm, "Slow MCQ", "slow-mcq", reply=h.mcq_reply, ttft=0.4)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], engine="opencompass", concurrency=1)
    wait_for(lambda: progressed(run.id, 3), timeout=120, message="three answers")
    client.post(f"/evals/{run.id}/cancel")
    run = h.finished(run.id)
    assert run.status == "cancelled" and "resume to finish" in run.status_note
    kept = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)).all()
    assert 3 <= len(kept) < 10 and all(s.prediction and s.verdict == "error" for s in kept)  # answered, not scored
    assert not engine_alive(run)  # the whole process group is gone

    assert client.post(f"/evals/{run.id}/resume").status_code == 302
    run = h.finished(run.id, timeout=240)
    assert run.status == "succeeded", run.error
    assert run.score == pytest.approx(0.7) and run.sample_errors == 0
    asked = Counter(r["json"]["messages"][-1]["content"] for r in fake_llm.requests
                    if r["path"].endswith("/chat/completions") and r["json"]["model"] == "slow-mcq")
    assert len(asked) == 10 and max(asked.values()) <= 2  # answers before the cancel are not asked again


@needs_opencompass
def test_opencompass_failed_dataset_fails_the_run_despite_exit_code(user, worker, fake_llm):
    m = h.model(user, fake_llm, "Broken", "broken-bot", status=503)
    d = h.dataset(user, h.mcq_rows(4), "mcq", "Known MCQ")
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], engine="opencompass").id,
                     timeout=240)
    assert run.status == "failed" and "Calling OpenAI API failed" in run.error
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)).all()
    assert len(samples) == 4 and all(s.verdict == "error" and "503" in s.error for s in samples)


@needs_opencompass
def test_opencompass_refuses_questions_with_several_right_options(user, worker, fake_llm):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    rows = [dict(r, answer="AB" if r["id"] == "m1" else r["answer"]) for r in h.mcq_rows(3)]
    d = h.dataset(user, rows, "mcq", "Two right options")
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], engine="opencompass").id,
                     timeout=120)
    assert run.status == "failed" and "several" in run.error and "evalscope" in run.error
    assert not [r for r in fake_llm.requests if r["json"]]  # refused before asking the model anything


@needs_opencompass
def test_opencompass_failing_judge_keeps_the_answers_and_says_why(user, worker, fake_llm):
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    j = h.model(user, fake_llm, "Judge", "judge-down", status=503)
    d = h.dataset(user, h.qa_rows(), "qa", "Known QA")
    run = h.finished(h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}],
                              engine="opencompass").id, timeout=240)
    assert run.status == "failed" and "503" in run.error
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)
                                 .order_by(EvalSample.position)).all()
    assert [s.prediction for s in samples] == ["It is thing-0.", "No idea.", "It is thing-2.", "No idea."]
    assert all(s.verdict == "error" and "judge gave no verdict" in s.error and "503" in s.error for s in samples)
