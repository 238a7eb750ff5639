"""Cancel, resume and a killed worker: finished samples are kept, nothing is asked or judged twice."""
import os
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import EvalRun, EvalSample
from app.services import runs
from tests import evals_helpers as h
from tests.services import wait_for


def slow_qa_setup(user, fake_llm, n=12):
    m = h.model(user, fake_llm, "Slow QA", "slow-qa", reply=h.qa_reply, ttft=0.25)
    j = h.model(user, fake_llm, "Judge", "judge-bot", reply=h.judge_reply)
    d = h.dataset(user, h.qa_rows(n), "qa", "Slow QA set")
    return m, j, d


def progressed(run_id, at_least):
    db.session.rollback()  # a fresh snapshot (REPEATABLE READ on MariaDB)
    run = db.session.get(EvalRun, run_id)
    assert run.status in ("queued", "running"), f"the run ended early: {run.status} {run.error}"
    return run.status == "running" and run.progress_done >= at_least


def engine_alive(run) -> bool:
    """Whether any process still has this run's config file on its command line."""
    needle = str(Path(run.work_dir) / "config.json").encode()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and needle in (entry / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def assert_each_sample_once_and_judged_once(run, fake_llm, n, in_flight=1):
    """Every sample stored once with its right verdict; every answer judged, again only when its judgement was in
    flight at the cancel (at most ``in_flight`` of them: the run's concurrency)."""
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)).all()
    assert sorted(s.position for s in samples) == list(range(n))
    assert [s.verdict for s in sorted(samples, key=lambda s: s.position)] == ["correct", "wrong"] * (n // 2)
    judged = Counter(p.split("[Question]")[1].split("\n")[1] for p in h.judge_requests(fake_llm, "judge-bot"))
    assert len(judged) == n and sum(c - 1 for c in judged.values()) <= in_flight, judged


def test_cancel_keeps_finished_samples_and_resume_completes(client, user, worker, fake_llm):
    m, j, d = slow_qa_setup(user, fake_llm)
    run = h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}], concurrency=1)
    wait_for(lambda: progressed(run.id, 3), timeout=90, message="three answers")
    r = client.post(f"/evals/{run.id}/cancel", follow_redirects=True)
    assert "Cancelling" in r.data.decode()
    run = h.finished(run.id)
    assert run.status == "cancelled" and "resume to finish" in run.status_note
    kept = db.session.scalar(sa.select(sa.func.count()).where(EvalSample.run_id == run.id))
    assert 3 <= kept < 12
    assert not engine_alive(run)  # the whole process group is gone
    judged_before = len(h.judge_requests(fake_llm, "judge-bot"))
    assert judged_before >= 3  # evalscope judges each sample right after its answer

    assert client.post(f"/evals/{run.id}/resume").status_code == 302
    run = h.finished(run.id)
    assert run.status == "succeeded", run.error
    assert_each_sample_once_and_judged_once(run, fake_llm, 12)
    asked = Counter(r["json"]["messages"][-1]["content"] for r in fake_llm.requests
                    if r["path"].endswith("/chat/completions") and (r["json"] or {}).get("model") == "slow-qa")
    assert len(asked) == 12 and max(asked.values()) <= 2  # at most the one in flight at cancel is asked again


def test_cancel_a_queued_run(client, user, fake_llm, session_env):
    m, j, d = slow_qa_setup(user, fake_llm, n=2)
    run = h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}])  # no worker running here
    assert runs.cancel(run, user) == "cancelled"
    assert run.status == "cancelled" and run.finished_at is not None


def test_rerun_and_compare(client, user, worker, fake_llm):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    other = h.model(user, fake_llm, "Always B", "always-b", reply="ANSWER: B")
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    first = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}]).id)
    second = h.finished(h.submit(user, model_id=other.id, datasets=[{"dataset_id": d.id}]).id)
    assert (first.score, second.score) == (0.7, 1.0)
    page = client.get(f"/evals/compare?runs={first.id}&runs={second.id}").data.decode()
    assert page.count("data-disagreement") == 3 and "83.3%" in page and "50.0%" in page and "100.0%" in page
    r = client.post(f"/evals/{first.id}/rerun")
    again = db.session.scalar(sa.select(EvalRun).where(EvalRun.rerun_of_id == first.id))
    assert r.status_code == 302 and again.params["datasets"] == first.params["datasets"]
    assert h.finished(again.id).score == 0.7
    assert os.path.isdir(again.work_dir) and again.work_dir != first.work_dir


def test_resume_judges_the_answers_a_failing_judge_left_unscored(user, worker, fake_llm):
    """A judge that was down leaves answers not scored; resume asks only the judge, never the model again."""
    from app.services import evals
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    j = h.model(user, fake_llm, "Judge", "judge-bot", status=503)
    d = h.dataset(user, h.qa_rows(4), "qa", "Known QA")
    run = h.finished(h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}]).id)
    assert run.status == "failed" and run.score is None
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)).all()
    assert len(samples) == 4 and all(s.prediction and s.verdict == "error" for s in samples)
    asked_before = sum(1 for r in fake_llm.requests if (r["json"] or {}).get("model") == "qa-bot")
    judged_before = len(h.judge_requests(fake_llm, "judge-bot"))
    fake_llm.add_model("judge-bot", reply=h.judge_reply)  # the judge is back
    evals.resume(run, user)
    run = h.finished(run.id)
    assert run.status == "succeeded" and run.score == 0.5, run.error
    assert sum(1 for r in fake_llm.requests if (r["json"] or {}).get("model") == "qa-bot") == asked_before
    assert len(h.judge_requests(fake_llm, "judge-bot")) - judged_before == 4  # each answer judged once now
