"""Rows for the page tour: more than one page of every list, a finished evaluation, a benchmark, chats.

Written straight to the database (nothing is enqueued), so the tour shows every page filled without waiting for a
worker. ``seed(admin, fake_llm)`` returns the ids the tour visits.
"""
from __future__ import annotations

from datetime import timedelta

from app.engines.eval_samples import summarize
from app.extensions import db
from app.models import ChatMessage, ChatSlot, Conversation, EvalSample, PerfLevel, Preference
from app.models.types import utcnow
from app.services import evals
from tests import evals_helpers as h
from tests import perf_helpers
from tests.datasets_helpers import QA_ROWS, make_dataset

PAGE_PLUS = 27  # more rows than one page of a list (PER_PAGE is 25)
LONG_REPLY = ("Let me think step by step about each option before answering.\n\n```python\nprint('checking')\n```\n\n"
              "ANSWER: B")


def _models(owner, fake_llm):
    fake_llm.add_model("tour-model", reply=h.mcq_reply)
    main = h.model(owner, fake_llm, "Tour model with a rather long display name", "tour-model", reply=h.mcq_reply)
    judge = h.model(owner, fake_llm, "Tour judge", "tour-judge", reply=h.judge_reply)
    for i in range(PAGE_PLUS):
        h.model(owner, fake_llm, f"Extra model {i:02d}", f"extra-{i:02d}")
    return main, judge


def _datasets(owner):
    mcq = h.dataset(owner, h.mcq_rows(60), "mcq", "Tour MCQ (60 rows)")
    qa = make_dataset(owner, rows=QA_ROWS, fmt="qa", name="Tour QA")
    for i in range(PAGE_PLUS):
        h.dataset(owner, h.mcq_rows(2), "mcq", f"Extra dataset {i:02d}")
    return mcq, qa


def _finished_run(owner, main, judge, mcq, qa):
    run = evals.build(owner, {"model_id": main.id, "judge_id": judge.id, "datasets": [
        {"dataset_id": mcq.id}, {"dataset_id": qa.id}]})
    now = utcnow()
    run.status, run.created_at, run.started_at, run.finished_at = "succeeded", now - timedelta(minutes=3), \
        now - timedelta(minutes=3), now
    run.progress_total = run.progress_done = 63
    db.session.add(run)
    db.session.commit()
    rows, subsets = [], []
    for sel in run.params["datasets"]:
        dataset_rows = h.mcq_rows(60) if sel["dataset_id"] == mcq.id else [
            {"question": r["prompt"], "subset": r["category"], "answer": r["response"]} for r in QA_ROWS]
        by_subset: dict[str, list] = {}
        for r in dataset_rows:
            by_subset.setdefault(r.get("subset", "default"), []).append(r)
        for name, items in by_subset.items():
            subsets.append({"dataset_id": sel["dataset_id"], "dataset_name": sel["name"], "format": sel["format"],
                            "subset": name, "total": len(items)})
            for pos, r in enumerate(items):
                right = pos % 3 != 2
                rows.append({"run_id": run.id, "dataset_id": sel["dataset_id"], "dataset_name": sel["name"],
                             "subset": name, "position": pos, "row_key": None, "question": r["question"],
                             "reference": r["answer"], "prediction": LONG_REPLY if right else "ANSWER: C",
                             "extracted": "B" if right else "C", "score": 1.0 if right else 0.0,
                             "verdict": "correct" if right else "wrong",
                             "judge_rationale": '{"verdict": "A"}' if sel["format"] == "qa" else None,
                             "latency_ms": 420.0, "prompt_tokens": 88, "completion_tokens": 12, "error": None})
    db.session.add_all(EvalSample(**r) for r in rows)
    run.summary = summarize(rows, subsets)
    run.score = run.summary["overall"]["score"]
    db.session.commit()
    return run


def _history(owner, main, mcq):
    for i in range(PAGE_PLUS):
        run = evals.build(owner, {"model_id": main.id, "datasets": [{"dataset_id": mcq.id, "limit": 5}]})
        run.status = ("succeeded", "failed", "cancelled")[i % 3]
        run.error = "The engine exited with code 1." if run.status == "failed" else None
        db.session.add(run)
    db.session.commit()


def _benchmarks(owner, main):
    runs = [perf_helpers.row(owner, main) for _ in range(PAGE_PLUS)]
    best = runs[0]
    for pos, c in enumerate((1, 4, 16)):
        db.session.add(PerfLevel(run_id=best.id, position=pos, concurrency=c, number=4 * c, duration_s=2.5 * c,
                                 total_requests=4 * c, succeeded=4 * c, req_per_s=1.6 * c, output_tok_per_s=80.0 * c,
                                 total_tok_per_s=140.0 * c, avg_latency_s=0.61, avg_ttft_ms=201.0,
                                 avg_tpot_ms=20.4, avg_itl_ms=20.1, avg_input_tokens=128.0, avg_output_tokens=50.0,
                                 p50_latency_s=0.6, p99_latency_s=0.9, p50_ttft_ms=200.0, p99_ttft_ms=260.0,
                                 p50_tpot_ms=20.0, p99_tpot_ms=24.0, metrics={}, percentiles=[]))
    best.progress_done = best.progress_total
    best.finished_at = utcnow()
    db.session.commit()
    return best


def _chats(owner, main):
    first = None
    for i in range(PAGE_PLUS):
        conv = Conversation(owner_id=owner.id, title=f"Chat number {i:02d} about capitals")
        conv.slots.append(ChatSlot(slot=1, endpoint_id=main.id, endpoint_name=main.name))
        db.session.add(conv)
        db.session.flush()
        db.session.add_all([
            ChatMessage(conversation_id=conv.id, turn=1, slot=None, role="user", content="Capital of France?"),
            ChatMessage(conversation_id=conv.id, turn=1, slot=1, role="assistant", content=LONG_REPLY,
                        endpoint_id=main.id, endpoint_name=main.name, ttft_ms=210.0, latency_ms=900.0,
                        prompt_tokens=12, completion_tokens=40)])
        first = first or conv
    db.session.commit()
    return first


def _arena(owner, models) -> tuple[Conversation, Conversation]:
    """Two arena battles of ``models``: one waiting for its vote, one decided (its vote with a reason)."""
    battles = []
    for voted in (False, True):
        conv = Conversation(owner_id=owner.id, title=f"Arena battle {'decided' if voted else 'open'}", arena=True)
        conv.slots.extend(ChatSlot(slot=i, endpoint_id=m.id, endpoint_name=m.name) for i, m in enumerate(models, 1))
        db.session.add(conv)
        db.session.flush()
        db.session.add(ChatMessage(conversation_id=conv.id, turn=1, role="user", content="Capital of France?"))
        db.session.add_all([ChatMessage(conversation_id=conv.id, turn=1, slot=i, role="assistant", content=LONG_REPLY,
                                        endpoint_id=m.id, endpoint_name=m.name, ttft_ms=210.0, latency_ms=900.0)
                            for i, m in enumerate(models, 1)])
        if voted:
            db.session.add(Preference(conversation_id=conv.id, turn=1, choice="A", blind=True,
                                      reason="Shorter, and just as right."))
        battles.append(conv)
    db.session.commit()
    return battles[0], battles[1]


def seed(owner, fake_llm) -> dict:
    """Fill every list of ``owner`` past one page; return the ids of the rows the tour opens."""
    main, judge = _models(owner, fake_llm)
    mcq, qa = _datasets(owner)
    run = _finished_run(owner, main, judge, mcq, qa)
    _history(owner, main, mcq)
    sample = db.session.scalar(db.select(EvalSample.id).where(EvalSample.run_id == run.id).order_by(EvalSample.id))
    bench = _benchmarks(owner, main)
    conv = _chats(owner, main)
    open_battle, decided = _arena(owner, [main, judge])
    return {"model": main.id, "dataset": mcq.id, "run": run.id, "sample": sample, "bench": bench.id,
            "conversation": conv.id, "arena": open_battle.id, "arena_decided": decided.id}
