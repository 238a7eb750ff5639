"""The OpenCompass engine: a real OpenCompass run in a real worker against the fake model server, and the
form's answers when OpenCompass is missing or asked for what it does not do."""
import os
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EvalSample
from app.services import evals
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


def test_opencompass_is_unavailable_with_a_clear_message(app, client, user, fake_llm, api_headers):
    app.config["OPENCOMPASS_PYTHON"] = "/nowhere/bin/python"
    ok, why = evals.engine_state("opencompass")
    assert not ok and "/nowhere/bin/python does not exist" in why and "scripts/opencompass_venv.sh" in why
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    assert "scripts/opencompass_venv.sh" in client.get("/evals/new").data.decode()
    r = client.post("/api/v1/evals", json={"model_id": m.id, "engine": "opencompass",
                                           "datasets": [{"dataset_id": d.id}]}, headers=api_headers(user))
    assert r.status_code == 422 and "does not exist" in r.get_json()["error"]["fields"]["engine"]
    assert h.count_runs() == 0


def test_opencompass_refuses_qa_datasets_at_the_form(app, client, user, fake_llm):
    app.config["OPENCOMPASS_PYTHON"] = sys.executable  # present: the engine counts as installed
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    j = h.model(user, fake_llm, "Judge", "judge-bot", reply=h.judge_reply)
    d = h.dataset(user, h.qa_rows(), "qa", "Known QA")
    r = client.post("/evals/new", data={"model_id": m.id, "judge_id": j.id, "dataset_id": d.id,
                                        "engine": "opencompass"})
    assert r.status_code == 400 and "choose evalscope for QA datasets" in r.data.decode()
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
