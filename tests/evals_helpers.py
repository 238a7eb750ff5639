"""Shared helpers of the evaluation tests: datasets with known answers and fake models that answer them."""
from __future__ import annotations

import json
import re

import sqlalchemy as sa

from app.extensions import db
from app.models import EvalRun
from app.services import endpoints, evals, runs
from tests.datasets_helpers import make_dataset
from tests.services import WORKER_LOGS, log_tail, wait_for

CORRECT = {0, 1, 2, 4, 5, 7, 9}  # the fake MCQ model answers these 7 of 10 right


def mcq_rows(n: int = 10) -> list[dict]:
    """Questions tagged [Q<i>] whose right answer is always B."""
    return [{"id": f"m{i}", "subset": "arith" if i < 6 else "logic", "split": "test",
             "question": f"[Q{i}] Which option is right?", "A": "no", "B": "yes", "C": "maybe", "D": "never",
             "answer": "B"} for i in range(n)]


def qa_rows(n: int = 4) -> list[dict]:
    return [{"id": f"a{i}", "subset": "facts", "split": "test", "question": f"[Q{i}] Name thing {i}.",
             "answer": f"thing-{i}"} for i in range(n)]


def mcq_reply(messages, _request) -> str:
    """Answers B (right) for the tagged questions in CORRECT, C (wrong) otherwise."""
    tag = int(re.search(r"\[Q(\d+)\]", messages[-1]["content"]).group(1))
    return "ANSWER: B" if tag in CORRECT else "ANSWER: C"


def qa_reply(messages, _request) -> str:
    """Knows even-numbered things; says 'no idea' for odd ones."""
    tag = int(re.search(r"\[Q(\d+)\]", messages[-1]["content"]).group(1))
    return f"It is thing-{tag}." if tag % 2 == 0 else "No idea."


def judge_reply(messages, _request) -> str:
    """A judge that marks an answer correct when it contains the reference answer."""
    prompt = messages[-1]["content"]
    gold = re.search(r"\[Reference Answer\]\s*(.+?)\s*\n", prompt).group(1).strip()
    pred = prompt.split("[Predicted Answer]", 1)[1]
    ok = gold in pred
    return json.dumps({"reasoning": f"The answer {'contains' if ok else 'lacks'} {gold}.", "verdict": "A" if ok else "B"})


def model(owner, fake_llm, name: str, model_name: str, **behaviour):
    fake_llm.add_model(model_name, **behaviour)
    return endpoints.create(owner, {"name": name, "base_url": fake_llm.base_url, "model_name": model_name,
                                    "max_concurrency": 8})


def dataset(owner, rows, fmt: str, name: str):
    return make_dataset(owner, rows=rows, fmt=fmt, name=name)


def finished(run_id: int, timeout: float = 120) -> EvalRun:
    """Wait until the run reaches a final state; returns it fresh from the database."""
    def done():
        db.session.rollback()  # a fresh snapshot: MariaDB's REPEATABLE READ would keep showing the past
        run = db.session.get(EvalRun, run_id)
        return run if run.status in runs.FINAL else None
    try:
        return wait_for(done, timeout=timeout, interval=0.3, message=f"evaluation {run_id} to finish")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stuck_report(run_id)}") from None


def stuck_report(run_id: int) -> str:
    """Where a run that never finished stands: its row, its live log's tail, the queues and the workers."""
    from rq import Queue, Worker

    from app.extensions import queues
    from app.services.runs.logs import read_log
    db.session.rollback()
    run = db.session.get(EvalRun, run_id)
    lines = [f"row: status={run.status} note={run.status_note!r} attempts={run.attempts} worker={run.worker_name} "
             f"job={run.rq_job_id} progress={run.progress_done}/{run.progress_total} heartbeat={run.heartbeat_at}"]
    lines += ["log: " + line for line in read_log(run)[0][-15:]]
    conn = queues.connection
    lines += [f"queue {q.name}: {q.count} waiting {q.job_ids[:5]}" for q in Queue.all(connection=conn)]
    lines += [f"worker {w.name}: {w.get_state()} job={w.get_current_job_id()}" for w in Worker.all(connection=conn)]
    for path in WORKER_LOGS:
        lines += [f"--- {path} (last lines)", log_tail(path)]
    return "\n".join(lines)


def submit(user, **values) -> EvalRun:
    return evals.create(user, values)


def judge_requests(fake_llm, model_name: str) -> list[str]:
    """The predicted answers the judge was asked about, one per judge request (a request cut off by a cancel
    before its body arrived has no JSON and counts as none)."""
    return [r["json"]["messages"][-1]["content"] for r in fake_llm.requests
            if r["path"].endswith("/chat/completions") and (r["json"] or {}).get("model") == model_name]


def served_tokens(fake_llm, model_name: str, reply) -> tuple[int, int]:
    """(prompt, completion) tokens the fake server reported for the requests to ``model_name``: the words of the
    messages and of the reply ``reply`` gives."""
    from tests.fakes.openai_server import _text, _words
    prompt = completion = 0
    for r in fake_llm.requests:
        body = r["json"] or {}
        if r["path"].endswith("/chat/completions") and body.get("model") == model_name:
            prompt += sum(len(_text(m.get("content")).split()) for m in body["messages"])
            completion += len(_words(reply(body["messages"], body)))
    return prompt, completion


def count_runs() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(EvalRun))


JUDGE_STYLES = {0: "CORRECT", 1: "<think>It names something else.</think>\nINCORRECT", 2: "正确",
                3: "I cannot judge this."}


def judge_reply_styles(messages, _request) -> str:
    """A judge that ignores the requested JSON format: a word, a word after reasoning, Chinese, then no verdict."""
    prompt = messages[-1]["content"]
    return JUDGE_STYLES[int(re.search(r"\[Q(\d+)\]", prompt).group(1))]


def judged_qa_run(user, fake_llm, judge_model: str, reply) -> tuple[EvalRun, list]:
    """A finished evalscope run of the 4 known QA rows judged by a fake judge answering with ``reply``;
    returns the run and its samples in order."""
    from app.models import EvalSample
    m = model(user, fake_llm, "QA bot", "qa-bot", reply=qa_reply)
    j = model(user, fake_llm, "Judge", judge_model, reply=reply)
    d = dataset(user, qa_rows(), "qa", "Known QA")
    run = finished(submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}]).id)
    samples = db.session.scalars(sa.select(EvalSample).where(EvalSample.run_id == run.id)
                                 .order_by(EvalSample.position)).all()
    return run, samples
