"""Benchmark: 1,000 QA samples with a judge, fake server (its own process) answering in 100 ms, concurrency 16.

EvalHub's whole job (export the pinned rows, evalscope subprocess, each sample stored in the database as it is
answered, every 0.1 s) against
evalscope run by hand (TaskConfig + run_task) on the same exported files with the same settings, and both against
the ideal samples × 2 calls × 100 ms / 16.  Run by hand:  .venv/bin/python bench/evals_throughput.py [N]
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DELAY = 0.1
CONCURRENCY = 16


SERVER = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from tests.fakes.openai_server import FakeOpenAIServer
server = FakeOpenAIServer().start()
server.add_model("bench-model", reply="The answer is 42.", ttft={DELAY})
server.add_model("bench-judge", reply='{{"reasoning": "ok", "verdict": "A"}}', ttft={DELAY})
print(server.base_url, flush=True)
time.sleep(3600)
"""


class _Server:
    """The fake model server in a process of its own, as a real one is: it never competes with the worker's GIL."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
        self.base_url = self.proc.stdout.readline().strip()

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def main(n: int = 1000) -> None:
    server = _Server()
    tmp = Path(tempfile.mkdtemp(prefix="evalhub-bench-"))
    os.environ.update(EVALHUB_DATA_DIR=str(tmp / "data"), EVALHUB_ALLOW_PRIVATE_URLS="1")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    from app import create_app
    from app.extensions import db
    from app.models import EvalRun
    from app.embedded_redis import start_embedded_redis
    app = create_app()
    _redis, app.config["REDIS_URL"] = start_embedded_redis()
    with app.app_context():
        from flask_migrate import upgrade
        upgrade(directory=str(ROOT / "migrations"))
        from app.services import accounts, endpoints, evals
        from app.services.datasets import store
        from app.services.datasets.formats import Mapping
        user = accounts.create_user("bench", "bench-password")
        model = endpoints.create(user, {"name": "m", "base_url": server.base_url, "model_name": "bench-model",
                                        "max_concurrency": 64})
        judge = endpoints.create(user, {"name": "j", "base_url": server.base_url, "model_name": "bench-judge",
                                        "max_concurrency": 64})
        rows = "".join(json.dumps({"id": f"q{i}", "question": f"Question {i}?", "answer": "42"}) + "\n"
                       for i in range(n))
        import io
        dataset = store.create_from_file(user, user, name="bench", fmt="qa", stream=io.BytesIO(rows.encode()),
                                         filename="b.jsonl", mapping=Mapping("qa"))
        run = evals.build(user, {"model_id": model.id, "judge_id": judge.id, "datasets": [{"dataset_id": dataset.id}],
                                 "concurrency": CONCURRENCY})
        run.status = "queued"
        db.session.add(run)
        db.session.commit()
        from workers.eval_jobs import run_eval
        started = time.perf_counter()
        status = run_eval(run.id)
        evalhub_s = time.perf_counter() - started
        run = db.session.get(EvalRun, run.id)
        work = Path(run.work_dir)
        subsets = [s["eval_subset"] for s in json.loads((work / "manifest.json").read_text())["subsets"]]
        print(f"EvalHub job: {status}, score {run.score}, errors {run.sample_errors}, {evalhub_s:.2f} s")

    hand_dir = tmp / "hand"
    script = f"""
import time
from evalscope import TaskConfig, run_task
t = time.perf_counter()
run_task(TaskConfig(model="bench-model", api_url="{server.base_url}", api_key="EMPTY", eval_type="openai_api",
    datasets=["general_qa"], dataset_args={{"general_qa": {{"local_path": "{work / 'qa' / 'data'}",
    "subset_list": {subsets!r}, "metric_list": ["Rouge"]}}}},
    generation_config={{"temperature": 0.0, "max_tokens": 1024, "stream": False, "timeout": 120, "retries": 2,
                       "retry_interval": 2}},
    eval_batch_size={CONCURRENCY}, work_dir="{hand_dir}", no_timestamp=True, ignore_errors=True,
    judge={{"strategy": "llm", "models": [{{"model_id": "bench-judge", "api_url": "{server.base_url}",
            "api_key": "EMPTY", "generation_config": {{"temperature": 0.0, "max_tokens": 1024, "timeout": 120}}}}]}}))
print("RUN_TASK_SECONDS", time.perf_counter() - t)
"""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "EVALSCOPE_DISABLE_UVLOOP": "1"})
    hand_s = time.perf_counter() - started
    inner = [ln for ln in out.stdout.splitlines() if ln.startswith("RUN_TASK_SECONDS")]
    ideal = n * 2 * DELAY / CONCURRENCY
    print(f"evalscope by hand (process incl. import): {hand_s:.2f} s; run_task alone: {inner[0].split()[1] if inner else '?'} s")
    print(f"ideal {n} x 2 x {DELAY:.1f} s / {CONCURRENCY} = {ideal:.2f} s")
    print(f"EvalHub / ideal = {evalhub_s / ideal:.2f};  EvalHub / hand run = {evalhub_s / hand_s:.3f}")
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
