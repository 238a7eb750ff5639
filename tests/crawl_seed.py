"""The crawl test's seed: alice's objects of every kind on the embedded server's database, bob beside her."""
from __future__ import annotations

from pathlib import Path


PASSWORD = "crawl-password-1"


def seed(data_dir: Path, fake_llm) -> tuple[dict, dict]:
    """Alice's world (models, datasets with pages of rows, a finished evaluation with pages of samples, a
    benchmark, a chat), Bob beside her; returns the ids per route argument and each user's API token."""
    from app import create_app
    from app.extensions import db
    from config import Config
    app = create_app(Config({"EVALHUB_DATA_DIR": str(data_dir)}))
    with app.app_context():
        world = _seed(fake_llm)
        db.session.remove()
        db.engine.dispose()
    return world


def _seed(fake_llm) -> tuple[dict, dict]:
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import ApiToken, DatasetRow, EvalSample
    from app.services import accounts, conversations, tokens
    from tests import evals_helpers, perf_helpers
    from tests.datasets_helpers import make_dataset
    alice, bob = accounts.create_user("alice", PASSWORD), accounts.create_user("bob", PASSWORD)
    models = [evals_helpers.model(alice, fake_llm, f"Crawl bot {i}", f"crawl-bot-{i}") for i in (1, 2)]
    big = make_dataset(alice, rows=evals_helpers.mcq_rows(130), fmt="mcq", name="Big MCQ")
    small = make_dataset(alice, rows=evals_helpers.qa_rows(4), fmt="qa", name="Small QA")
    row_ids = list(db.session.scalars(sa.select(DatasetRow.id).where(DatasetRow.dataset_id == big.id)
                                      .order_by(DatasetRow.id)))
    run = _finished_eval(alice, models[0], big)
    sample_ids = list(db.session.scalars(sa.select(EvalSample.id).where(EvalSample.run_id == run.id)
                                         .order_by(EvalSample.id)))
    bench = _finished_benchmark(alice, models[0], perf_helpers)
    chat = _chat(alice, models[:1], conversations)
    arena = _chat(alice, models, conversations, arena=True)
    admin = accounts.find_user("admin")
    token_of = {u.username: tokens.create_token(u, "crawl")[1] for u in (alice, bob, admin)}
    alice_token = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == alice.id))
    m, p = models[0].id, bench.id
    ids = {"dataset_id": [big.id, small.id], "row_id": [row_ids[0], row_ids[-1]], "run_id": [run.id],
           "perf_run_id": [p], "sample_id": [sample_ids[0], sample_ids[-1]], "endpoint_id": [x.id for x in models],
           "conversation_id": [chat.id, arena.id], "slot": [1], "token_id": [alice_token], "user_id": [alice.id],
           "job_id": ["no-such-job"], "fmt": ["csv", "json"], "filename": ["css/app.css", "js/app.js"],
           "action": ["cancel"]}
    exports = ["?format=csv", "?format=json", "?format=jsonl", "?format=xlsx"]
    ids["queries"] = {
        "datasets.detail": ["?page=3", "?version=1&subset=logic&page=2", "?q=Q12"],
        "datasets.export_version": exports, "api.export_dataset": exports,
        "evals.export": exports, "api.export_eval": exports,
        "evals.samples": ["?page=2", "?page=3", "?verdict=wrong", "?subset=logic"],
        "api.eval_samples": ["?page=2&per_page=25", "?verdict=wrong"],
        "api.list_rows": ["?page=2&per_page=50", "?subset=logic"], "api.list_evals": ["?status=succeeded"],
        "evals.compare": [f"?runs={run.id}", f"?runs={run.id},{run.id + 1}"],
        "api.compare_evals": [f"?runs={run.id},{run.id + 1}", f"?runs={run.id}"],
        "leaderboards.show": ["?subset=logic", f"?run={run.id}"], "api.get_leaderboard": ["?subset=logic"], "perf.compare": [f"?run={p}", f"?a={p}&b={p}"],
        "chat.new": [f"?model={m}"], "perf.create": [f"?from={p}", f"?model={m}"], "evals.create": [f"?from={run.id}"],
    }
    return ids, token_of


def _finished_eval(owner, model, dataset):
    """A succeeded run written as the engines leave it: 60 samples (more than a page) and their summary."""
    from app.engines.eval_samples import summarize
    from app.extensions import db
    from app.models import EvalSample
    from app.models.types import utcnow
    from app.services import evals
    run = evals.build(owner, {"model_id": model.id, "datasets": [{"dataset_id": dataset.id}]})
    rows = [{"dataset_id": dataset.id, "subset": "arith" if i < 6 else "logic", "position": i if i < 6 else i - 6,
             "verdict": "correct" if i % 3 else "wrong", "score": 1.0 if i % 3 else 0.0} for i in range(60)]
    shape = [{"dataset_id": dataset.id, "dataset_name": dataset.name, "format": "mcq", "subset": s, "total": n}
             for s, n in (("arith", 6), ("logic", 124))]
    run.summary = summarize(rows, shape)
    run.score, run.status = run.summary["overall"]["score"], "succeeded"
    run.progress_done = run.progress_total = 60
    run.started_at = run.finished_at = utcnow()
    db.session.add(run)
    db.session.flush()
    for r in rows:
        db.session.add(EvalSample(run_id=run.id, dataset_id=dataset.id, dataset_name=dataset.name, subset=r["subset"],
                                  position=r["position"], row_key=f"m{r['position']}", question="[Q1] Which?",
                                  reference="B", prediction="ANSWER: B" if r["score"] else "=1+1",
                                  extracted="B" if r["score"] else "C", score=r["score"], verdict=r["verdict"],
                                  latency_ms=120.0, prompt_tokens=20, completion_tokens=3))
    db.session.commit()
    return run


def _finished_benchmark(owner, model, perf_helpers):
    from app.extensions import db
    from app.models import PerfLevel
    run = perf_helpers.row(owner, model, status="succeeded")
    db.session.add(PerfLevel(run_id=run.id, position=0, concurrency=1, number=4, duration_s=2.0, total_requests=4,
                             succeeded=4, req_per_s=2.0, output_tok_per_s=60.0, total_tok_per_s=90.0,
                             avg_latency_s=0.5, avg_ttft_ms=80.0, avg_tpot_ms=10.0, p50_latency_s=0.5,
                             p99_latency_s=0.7, p50_ttft_ms=80.0, p99_ttft_ms=95.0))
    db.session.commit()
    return run


def _chat(owner, models, conversations, arena: bool = False):
    """A chat of one turn (``arena``: a blind battle, not voted yet)."""
    from app.extensions import db
    from app.models import ChatMessage
    chat = conversations.create(owner, [{"model_id": m.id} for m in models], title="Crawl chat", arena=arena)
    db.session.add(ChatMessage(conversation_id=chat.id, turn=1, role="user", content="Hello?"))
    db.session.add_all([ChatMessage(conversation_id=chat.id, turn=1, slot=i, role="assistant", content="Hi.",
                                    endpoint_id=m.id, endpoint_name=m.name, latency_ms=50.0)
                        for i, m in enumerate(models, start=1)])
    db.session.commit()
    return chat
