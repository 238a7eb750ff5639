"""Runs under real faults: a worker or its engine killed, cancel races, Redis restarted, a database that hangs.

Two real worker processes with data directories of their own stand for two machines: the database and Redis are
all they share, so a run resumed on the other worker works from the rows alone.
"""
from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EvalSample
from app.services import evals, runs
from app.services.tokens import TOKEN_PREFIX
from tests import evals_helpers as h
from tests import runs_helpers as rh
from tests.apps import make_app
from tests.services import TEST_REDIS_URL, wait_for


def judged_qa(user, fake_llm, n: int, reply=h.qa_reply, ttft: float = 0.15):
    m = h.model(user, fake_llm, "Slow QA", "slow-qa", reply=reply, ttft=ttft)
    j = h.model(user, fake_llm, "Judge", "judge-bot", reply=h.judge_reply)
    d = h.dataset(user, h.qa_rows(n), "qa", "QA set")
    return m, j, d


def test_killed_worker_run_fails_with_its_samples_and_resumes_on_the_other_machine(user, fake_llm, two_workers,
                                                                                   client):
    n, concurrency = 40, 4
    gate = threading.Event()

    def reply(messages, request):  # answers Q0-Q7, then stalls (requests in flight) until the worker is killed
        if int(messages[-1]["content"].split("[Q")[1].split("]")[0]) >= 8:
            gate.wait(60)
        return h.qa_reply(messages, request)
    m, j, d = judged_qa(user, fake_llm, n, reply=reply)
    run = h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}], concurrency=concurrency)
    wait_for(lambda: rh.stored(run.id) >= 8 and rh.fresh(run.id).status == "running", timeout=120, interval=0.2,
             message="eight scored samples in the database while the run goes on")
    first = rh.fresh(run.id)
    first_dir, first_worker = first.work_dir, first.worker_name
    engine = rh.engine_pids(work_dir=first_dir)
    assert engine, "the engine process of the run"
    leaked = {k for k in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL") if k in rh.environ_of(engine[0])}
    assert not leaked, f"the engine can read {leaked}"
    victim = next(w for w in two_workers if w.name == first_worker)
    survivor = next(w for w in two_workers if w is not victim)
    time.sleep(1.5)  # requests Q8-Q11 are in flight
    victim.kill_hard()
    killed_at = time.monotonic()
    gate.set()
    failed = wait_for(lambda: (r := rh.fresh(run.id)).status == "failed" and r, timeout=60, interval=0.5,
                      message="the run of the dead worker to be marked failed")
    assert time.monotonic() - killed_at <= 60
    assert "resume" in failed.error.lower()
    kept = rh.stored(run.id, while_active=False)
    assert kept >= 8
    page = client.get(f"/evals/{run.id}/samples").data.decode()
    assert "[Q0]" in page  # the answered samples are there to read
    wait_for(lambda: not rh.engine_pids(work_dir=first_dir), timeout=20, message="the orphaned engine to stop")

    evals.resume(failed, user)
    done = h.finished(run.id, timeout=180)
    assert done.status == "succeeded", done.error
    assert done.worker_name == survivor.name and survivor.env["EVALHUB_DATA_DIR"] in done.work_dir
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)).all()
    assert sorted(s.position for s in samples) == list(range(n))  # every sample stored once
    assert [s.verdict for s in sorted(samples, key=lambda s: s.position)] == ["correct", "wrong"] * (n // 2)
    assert done.score == 0.5 and done.progress_done == n
    assert rh.repeated(rh.asked(fake_llm, "slow-qa")) <= concurrency
    assert sorted(rh.asked(fake_llm, "slow-qa")) == list(range(n))


def test_engine_killed_alone_fails_resumably_and_the_score_is_right_after_resume(user, fake_llm, worker):
    n = 30
    m = h.model(user, fake_llm, "Slow MCQ", "slow-mcq", reply=h.mcq_reply, ttft=0.3)
    d = h.dataset(user, [dict(r, question=r["question"].replace(f"[Q{i}]", f"[Q{i % 10}] [R{i}]"))
                         for i, r in enumerate(h.mcq_rows(n))], "mcq", "MCQ set")
    run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], concurrency=2)
    wait_for(lambda: rh.stored(run.id) >= 5 and rh.fresh(run.id).status == "running", timeout=120, interval=0.2,
             message="five scored samples")
    pid = rh.engine_pids(work_dir=rh.fresh(run.id).work_dir)[0]
    os.kill(pid, signal.SIGKILL)  # what the OOM killer does: the engine alone
    failed = h.finished(run.id)
    assert failed.status == "failed" and "signal 9" in failed.error and "resume" in failed.error.lower()
    assert rh.stored(run.id, while_active=False) < n
    evals.resume(failed, user)
    done = h.finished(run.id, timeout=180)
    assert done.status == "succeeded", done.error
    assert done.score == 0.7 and rh.stored(run.id, while_active=False) == n
    assert rh.repeated(rh.asked(fake_llm, "slow-mcq", r"\[R(\d+)\]")) <= 2


def test_cancel_races_end_cancelled_with_no_engine_left(user, fake_llm, worker):
    m = h.model(user, fake_llm, "Slow MCQ", "slow-mcq", reply=h.mcq_reply, ttft=0.5)
    d = h.dataset(user, h.mcq_rows(6), "mcq", "MCQ set")
    ids = []
    for i in range(20):
        run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], concurrency=1)
        time.sleep(i * 0.01)  # 0-190 ms after the submit
        runs.cancel(run, user)
        ids.append(run.id)
    final = [h.finished(i, timeout=120) for i in ids]
    assert [r.status for r in final] == ["cancelled"] * 20
    wait_for(lambda: not rh.engine_pids(), timeout=30, message="no engine process left")


def test_queued_runs_complete_after_redis_restarts_under_running_workers(user, fake_llm, worker):
    import redis
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply, ttft=0.3)
    d = h.dataset(user, h.mcq_rows(4), "mcq", "Tiny")
    busy = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], concurrency=1)
    wait_for(lambda: rh.fresh(busy.id).status == "running", timeout=60, message="the first run to start")
    queued = [h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}]) for _ in range(2)]
    conn = redis.Redis.from_url(worker.env["REDIS_URL"])
    conn.flushdb()  # a Redis restart without persistence: every job, queue and worker record is gone...
    if TEST_REDIS_URL:
        conn.client_kill_filter(_type="normal", skipme=True)  # ...and every connection is dropped
    final = [h.finished(r.id, timeout=120) for r in [busy, *queued]]
    assert [r.status for r in final] == ["succeeded"] * 3, [r.error for r in final]
    assert worker.proc.poll() is None  # the same worker, never restarted
    wait_for(lambda: worker_count(worker) >= 1, timeout=30, message="/health to count the worker again")


def worker_count(worker) -> int:
    from app.services import health
    return health.report()[0]["workers"]


def test_lost_jobs_are_queued_once_even_by_two_maintenance_rounds_at_once(app, user, fake_llm, no_worker):
    from rq.job import Job

    from app.extensions import queues
    from app.services.runs import maintenance
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(2), "mcq", "Tiny")
    run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}])  # no worker runs: it stays queued
    Job.fetch(run.rq_job_id, connection=queues.connection).delete()
    queues.connection.delete("rq:queue:evals")
    results = []

    def round_():
        with app.app_context():
            results.append(maintenance.tick())
    threads = [threading.Thread(target=round_) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum((r or {}).get("requeued", 0) for r in results) == 1
    assert queues.connection.lrange("rq:queue:evals", 0, -1) == [run.rq_job_id.encode()]


@pytest.fixture
def silent_database():
    """A TCP listener that accepts connections and never answers (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue
    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    stop.set()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_hung_database_gives_503_within_seconds(session_env, silent_database):
    env = dict(session_env, DATABASE_URL=f"mysql+pymysql://root@127.0.0.1:{silent_database}/evalhub",
               EVALHUB_DB_READ_TIMEOUT="3")
    hung = make_app(env)
    with hung.app_context():
        client = hung.test_client()
        started = time.monotonic()
        r = client.get("/health")
        assert r.status_code == 503 and r.json["db"] != "ok"
        assert time.monotonic() - started < 10
        r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {TOKEN_PREFIX}{'x' * 40}"})
        assert r.status_code == 503 and r.json["error"]["code"] == "database_unavailable"
        assert client.get("/login").status_code == 200, "the sign-in page needs no database"


def test_engine_environment_holds_no_app_secrets(tmp_path, monkeypatch):
    import sys

    from app.engines.process import EngineProcess
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EVALHUB_ADMIN_PASSWORD"):
        monkeypatch.setenv(name, "secret-value")
    out = tmp_path / "env.txt"
    process = EngineProcess([sys.executable, "-c", f"import os; open({str(out)!r}, 'w').write('\\n'.join(os.environ))"],
                            tmp_path, {"EVALHUB_MODEL_API_KEY": "run-key"}, tmp_path / "engine.log")
    assert process.wait(30) == 0
    process.close()
    names = set(out.read_text().split("\n"))
    assert not names & {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EVALHUB_ADMIN_PASSWORD"}
    assert {"EVALHUB_MODEL_API_KEY", "PATH"} <= names


def test_each_failed_sample_keeps_its_own_reason(user, fake_llm, worker):
    def reply(messages, request):  # two questions fail, each with its own error
        tag = int(messages[-1]["content"].split("[Q")[1].split("]")[0])
        if tag in (1, 4):
            raise ValueError(f"boom-{tag}")
        return h.mcq_reply(messages, request)
    m = h.model(user, fake_llm, "Flaky", "flaky-mcq", reply=reply)
    d = h.dataset(user, h.mcq_rows(6), "mcq", "MCQ set")
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], concurrency=2).id)
    assert run.status == "succeeded" and run.sample_errors == 2, run.error
    errors = {s.question.split("]")[0][1:]: s.error for s in db.session.scalars(
        sa.select(EvalSample).where(EvalSample.run_id == run.id, EvalSample.verdict == "error"))}
    assert set(errors) == {"Q1", "Q4"}
    assert "boom-1" in errors["Q1"] and "boom-4" in errors["Q4"] and "boom-4" not in errors["Q1"]


def test_pages_never_reap_the_workers_maintenance_does(app, client, user, fake_llm, no_worker):
    from datetime import timedelta

    from app.models.types import utcnow
    from app.services.runs import maintenance
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(2), "mcq", "Tiny")
    run = h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}])
    app.config["RUN_DEAD_AFTER_SECONDS"] = 5  # here only: a live worker (20 s) leaves this run alone
    stale = utcnow() - timedelta(seconds=10)
    runs.transition(run, ("queued",), "running", started_at=stale, heartbeat_at=stale)  # its worker went silent
    for path in (f"/evals/{run.id}", "/evals/", f"/evals/{run.id}/samples"):
        assert client.get(path).status_code == 200
    assert rh.fresh(run.id).status == "running"  # a page read changes nothing
    done = wait_for(maintenance.tick, timeout=10, message="the maintenance lock")  # a worker may hold it a moment
    assert done["reaped"] == 1 and rh.fresh(run.id).status == "failed"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python 3.12+ warns of fork() beside threads: the point
def test_a_job_is_never_forked_in_the_middle_of_a_maintenance_round(app, monkeypatch):
    # A fork copies the locks the maintenance thread holds (OpenSSL's while PyMySQL builds a connection's TLS context)
    # and not the thread: the work horse then waited on them for ever. RQ forks a horse per job; it must wait.
    from app.services.runs import maintenance
    inside, order = threading.Event(), []

    def slow_round():
        inside.set()
        time.sleep(0.3)
        order.append("round ended")
    monkeypatch.setattr(maintenance, "tick", slow_round)
    thread = maintenance.MaintenanceThread(app, "fork-test", {}, ["evals"])
    thread.start()
    try:
        assert inside.wait(10)
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        order.append("forked")
        os.waitpid(pid, 0)
    finally:
        thread.stop()
        thread.join(10)
    assert order[:2] == ["round ended", "forked"]
