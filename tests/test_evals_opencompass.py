"""The OpenCompass engine: real OpenCompass runs in a real worker against the fake model server (MCQ by rule, QA
by a fake judge), and the form's answers when OpenCompass is missing or asked for what it does not do."""
import os
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db, queues
from app.models import EvalSample
from app.services import endpoints, evals, run_costs
from app.services.runs import fleet
from config import BASE_DIR
from tests import evals_helpers as h

OPENCOMPASS_PYTHON = os.environ.get("EVALHUB_OPENCOMPASS_PYTHON") or str(BASE_DIR / ".venv-opencompass/bin/python")
needs_opencompass = pytest.mark.skipif(
    not Path(OPENCOMPASS_PYTHON).exists() and not os.environ.get("CI"),
    reason="OpenCompass virtualenv missing: run scripts/opencompass_venv.sh (under CI this test always runs)")


@pytest.fixture(autouse=True)
def _forget_published_machines(app):
    """The worker records a test publishes vanish with it (real workers keep theirs)."""
    yield
    for name in ("machine-without-opencompass", "machine-with-opencompass"):
        fleet.withdraw(name)


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
    assert run.progress_done == run.progress_total == 14  # one step per sample, judged or not
    mcq_samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id,
                                                                 EvalSample.dataset_id == mcq.id)).all()
    assert sum(s.verdict == "correct" for s in mcq_samples) == 7 and not any(s.judge_rationale for s in mcq_samples)
    assert "The answer lacks thing-1." in client.get(f"/evals/{run.id}/samples/{qa_samples[1].id}").data.decode()
    # OpenCompass's API model returns text only: its tokens, and so its cost, are unknown (never 0)
    unknown = {"prompt": None, "completion": None}
    assert run_costs.run_usage(run) == {"tokens": {"model": unknown, "judge": unknown, "samples": 14}, "cost": None}
    # the judge's key reaches the judge through the environment, never through a file
    judged = [r for r in fake_llm.requests if r["json"] and r["json"].get("model") == "judge-bot"]
    assert all(r["headers"]["authorization"] == "Bearer judge-secret-42" for r in judged)
    files = [f for f in Path(run.work_dir).rglob("*") if f.is_file()]
    assert files and not any(b"judge-secret-42" in f.read_bytes() for f in files)


def test_opencompass_judge_verdicts_read_past_reasoning(monkeypatch):
    """The driver's dict postprocessor reads verdicts with EvalHub's reader (tests/test_answer_rule.py), not
    OpenCompass's own (the first capital A or B anywhere), and keeps each reply."""
    import importlib.util
    import types

    stub = types.ModuleType("opencompass.models")
    stub.OpenAISDK = object  # the driver module runs in OpenCompass's virtualenv; only its parser is tested here
    monkeypatch.setitem(sys.modules, "opencompass", types.ModuleType("opencompass"))
    monkeypatch.setitem(sys.modules, "opencompass.models", stub)
    drivers = BASE_DIR / "app" / "engines" / "drivers"
    monkeypatch.syspath_prepend(str(drivers))  # as in the driver: its own directory
    spec = importlib.util.spec_from_file_location("opencompass_judge", drivers / "opencompass_judge.py")
    judge = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(judge)
    out = judge.judge_verdicts({"1": {"prediction": "<think>A?</think> B"}, "0": {"prediction": "CORRECT"},
                                "2": {"prediction": "?"}}, "")
    assert out["accuracy"] == pytest.approx(100 / 3)
    assert [(d["correct"], d["verdict"], d["judge"]) for d in out["details"]] == [
        (True, "A", "CORRECT"), (False, "B", "<think>A?</think> B"), (False, None, "?")]


def test_opencompass_judged_samples_are_read_from_the_judges_reply():
    """The app reads the judge's stored reply with the same reader as evalscope's; no verdict: kept and shown."""
    from app.engines.opencompass_results import sample
    subset = {"format": "qa", "dataset_id": 1, "dataset_name": "QA", "subset": "facts"}
    row = {"key": "a0", "question": "[Q0] Name thing 0.", "reference": "thing-0", "position": 0}
    samples = [sample(1, subset, row, {"prediction": "It is thing-0."}, {"judge": [reply]}, None, final=True)
               for reply in ("正确", "INCORRECT", '{"reasoning": "Same thing.", "verdict": "A"}', "Hmm.")]
    assert [(s["verdict"], s["score"]) for s in samples] == [("correct", 1.0), ("wrong", 0.0), ("correct", 1.0),
                                                             ("error", None)]
    assert samples[2]["judge_rationale"] == "Same thing." and samples[3]["judge_rationale"] == "Hmm."
    assert "holds no verdict" in samples[3]["error"]


def test_opencompass_is_offered_only_when_a_live_worker_has_it(app, client, user, fake_llm, api_headers):
    app.config["REDIS_URL"] = app.config["REDIS_URL"].rsplit("/", 1)[0] + "/14"  # a Redis no real worker uses
    queues.connection.flushdb()
    fleet.publish("machine-without-opencompass", {"evalscope": "1.14.1"}, ["evals", "perf", "default"])
    ok, why = evals.engine_state("opencompass")
    assert not ok and "No running worker has OpenCompass" in why
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    assert "No running worker has OpenCompass" in client.get("/evals/new").data.decode()
    r = client.post("/api/v1/evals", json={"model_id": m.id, "engine": "opencompass",
                                           "datasets": [{"dataset_id": d.id}]}, headers=api_headers(user))
    assert r.status_code == 422 and "No running worker" in r.get_json()["error"]["fields"]["engine"]
    assert h.count_runs() == 0
    fleet.publish("machine-with-opencompass", {"evalscope": "1.14.1", "opencompass": "0.5.4"},
                  ["evals", "opencompass", "perf", "default"])
    run = evals.create(user, {"model_id": m.id, "engine": "opencompass", "datasets": [{"dataset_id": d.id}]})
    assert run.engine_version == "0.5.4"  # the worker's version, not the web machine's
    from rq.job import Job
    assert Job.fetch(run.rq_job_id, connection=queues.connection).origin == "opencompass"
    queues.connection.flushdb()


def test_the_engine_is_the_workers_own(app, tmp_path):
    """The OpenCompass engine a worker probes reports itself unavailable, clearly, when its virtualenv is missing."""
    from app.engines.opencompass_eval import OpencompassEvalEngine
    from flask import current_app
    current_app.config["OPENCOMPASS_PYTHON"] = str(tmp_path / "nowhere" / "python")
    ok, why = OpencompassEvalEngine().available()
    assert not ok and "does not exist" in why and "scripts/opencompass_venv.sh" in why


def test_opencompass_form_needs_a_judge_for_qa_and_refuses_a_judge_for_mcq(app, client, user, fake_llm):
    fleet.publish("machine-with-opencompass", {"evalscope": "1.14.1", "opencompass": "0.5.4"}, ["opencompass"])
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
    # MCQ answers are scored by EvalHub's rule as they arrive: a cancel keeps them scored
    assert 3 <= len(kept) < 10 and all(s.prediction and s.verdict in ("correct", "wrong") for s in kept)
    assert not engine_alive(run)  # the whole process group is gone

    assert client.post(f"/evals/{run.id}/resume").status_code == 302
    run = h.finished(run.id, timeout=240)
    assert run.status == "succeeded", run.error
    assert run.score == pytest.approx(0.7) and run.sample_errors == 0
    asked = Counter(r["json"]["messages"][-1]["content"] for r in fake_llm.requests
                    if r["path"].endswith("/chat/completions") and (r["json"] or {}).get("model") == "slow-mcq")
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
