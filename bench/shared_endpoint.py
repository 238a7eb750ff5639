"""Benchmark: three users' 1,000-sample evaluations against one endpoint limited to 16 requests in flight.

The fake OpenAI-compatible server answers each request after 100 ms and records the most requests it had in flight.
EvalHub: three real ``flask worker`` processes (the embedded queue, SQLite), each run at concurrency 16, all three
submitted at once; the endpoint's scheduler keeps them to 16 together. By hand: three ``evalscope`` processes on the
same exported files at 16 each, all at once (what three people would do), then one after another. Ideal: the
combined work at 16 in flight, 3 × 1,000 × 100 ms / 16 = 18.75 s.  Run by hand:
``.venv/bin/python bench/shared_endpoint.py [N]`` (``BENCH_REDIS_URL=redis://127.0.0.1:6379/7`` for a real Redis;
``BENCH_SERIAL=0`` skips the one-after-another hand run). Each side's CPU seconds (the workers with their engines;
the evalscope processes by hand) and the load average come with the figures: on a shared 2-core machine they say
whether the wall time is the scheduler's or the CPU's.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DELAY, LIMIT, USERS = 0.1, 16, 3
HAND = """
import sys, time
from evalscope import TaskConfig, run_task
t = time.perf_counter()
run_task(TaskConfig(model="bench-model", api_url=sys.argv[1], api_key="EMPTY", eval_type="openai_api",
    datasets=["general_mcq"], dataset_args={"general_mcq": {"local_path": sys.argv[2], "subset_list": [sys.argv[3]]}},
    generation_config={"temperature": 0.0, "max_tokens": 64, "timeout": 120, "retries": 2, "retry_interval": 2},
    eval_batch_size=16, work_dir=sys.argv[4], no_timestamp=True, ignore_errors=True))
"""


SERVER = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
from tests.fakes.openai_server import FakeOpenAIServer
server = FakeOpenAIServer().start()
server.add_model("bench-model", reply="ANSWER: B", ttft={DELAY})
print(server.base_url, flush=True)
for line in sys.stdin:
    stats = {{"peak": server.peak.get("bench-model", 0), "spans": [(a, b) for _m, a, b in server.answered]}}
    if line.strip() == "reset":
        server.reset()
        server.add_model("bench-model", reply="ANSWER: B", ttft={DELAY})
    print(json.dumps(stats), flush=True)
"""


class Server:
    """The fake model server in a process of its own, as a real one is: no other thread of the bench competes with
    its GIL between writing an answer and counting it done (which would show a request too many in flight)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.base_url = self.proc.stdout.readline().strip()

    def ask(self, command: str = "stats") -> dict:
        """The most requests in flight and each answer's (start, end) so far; ``reset`` then clears them."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def rows(n: int, tag: str) -> str:
    return "".join(json.dumps({"id": f"{tag}{i}", "question": f"[{tag}{i}] Which one?", "A": "no", "B": "yes",
                               "C": "maybe", "D": "never", "answer": "B"}) + "\n" for i in range(n))


def children_cpu() -> float:
    """CPU seconds of every finished (and reaped) child process, and theirs, so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuByRole:
    """Samples /proc twice a second: CPU seconds of the worker processes (depth 0), their work horses (1: the
    runner, the scheduler's proxy, storing samples) and the engines (2 and below: evalscope)."""

    def __init__(self, roots: list[int]):
        import threading
        self.roots, self.seen, self.stop = set(roots), {}, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from tests.services import process_stats
        while not self.stop.wait(0.5):
            stats = process_stats()
            parents = {pid: int(fields[1]) for pid, fields in stats.items()}
            ticks = {pid: int(fields[11]) + int(fields[12]) for pid, fields in stats.items()}
            for pid, tick in ticks.items():
                depth, up = 0, pid
                while up not in self.roots and up in parents and depth < 6:
                    up, depth = parents[up], depth + 1
                if up in self.roots:
                    self.seen[pid] = (min(depth, 2), max(tick, self.seen.get(pid, (0, 0))[1]))

    def totals(self) -> dict:
        self.stop.set()
        self.thread.join()
        out = {"worker": 0.0, "horse": 0.0, "engine": 0.0}
        for depth, tick in self.seen.values():
            out[("worker", "horse", "engine")[depth]] += tick / os.sysconf("SC_CLK_TCK")
        return {k: round(v, 1) for k, v in out.items()}


def by_hand(server, work: Path, tmp: Path, together: bool) -> float:
    """Three evalscope processes on the exported MCQ files, at once or one after another; wall seconds."""
    data = work / "mcq" / "data"
    subset = json.loads((work / "manifest.json").read_text())["subsets"][0]["eval_subset"]
    env = {**os.environ, "EVALSCOPE_DISABLE_UVLOOP": "1"}
    argv = [[sys.executable, "-c", HAND, server.base_url, str(data), subset, str(tmp / f"hand-{together}-{i}")]
            for i in range(USERS)]
    started = time.perf_counter()
    if together:
        procs = [subprocess.Popen(a, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for a in argv]
        for p in procs:
            p.wait()
    else:
        for a in argv:
            subprocess.run(a, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main(n: int = 1000) -> None:
    from tests.services import WorkerHandle, stop_process
    server = Server()
    tmp = Path(tempfile.mkdtemp(prefix="evalhub-bench-"))
    redis_url = os.environ.get("BENCH_REDIS_URL")  # a real Redis (flushed), else the embedded one
    if redis_url:
        import redis
        redis.Redis.from_url(redis_url).flushdb()
    else:
        from app.embedded_redis import start_embedded_redis
        _redis, redis_url = start_embedded_redis()
    env = {k: v for k, v in os.environ.items() if k != "EVALHUB_PARENT_PID"}
    env.update(EVALHUB_DATA_DIR=str(tmp / "data"), EVALHUB_ALLOW_PRIVATE_URLS="1", SECRET_KEY="bench-secret",
               DATABASE_URL=f"sqlite:///{tmp}/bench.db", REDIS_URL=redis_url, EVALHUB_LOG_LEVEL="WARNING")
    os.environ.update(env)
    from app import create_app
    from app.extensions import db
    from app.models import EvalRun
    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade
        upgrade(directory=str(ROOT / "migrations"))
        from app.services import accounts, endpoints, evals
        from app.services.datasets import store
        from app.services.datasets.formats import Mapping
        import io
        workers = [WorkerHandle(env, tmp / f"worker{i}.log", data_dir=tmp / f"machine{i}") for i in range(USERS)]
        submitted = []
        for i in range(USERS):
            user = accounts.create_user(f"user{i}", "bench-password")
            model = endpoints.create(user, {"name": "m", "base_url": server.base_url, "model_name": "bench-model",
                                            "max_concurrency": LIMIT})
            dataset = store.create_from_file(user, user, name="bench", fmt="mcq", filename="b.jsonl",
                                             stream=io.BytesIO(rows(n, "ABC"[i]).encode()), mapping=Mapping("mcq"))
            submitted.append((user, model, dataset))
        load_before, cpu_before = os.getloadavg()[0], children_cpu()
        roles = CpuByRole([w.proc.pid for w in workers])
        started = time.perf_counter()
        ids = [evals.create(u, {"model_id": m.id, "datasets": [{"dataset_id": d.id}], "concurrency": LIMIT}).id
               for u, m, d in submitted]
        while True:
            db.session.rollback()
            done = [db.session.get(EvalRun, i) for i in ids]
            if all(r.status in ("succeeded", "failed", "cancelled") for r in done):
                break
            time.sleep(0.2)
        evalhub_s = time.perf_counter() - started
        by_role = roles.totals()  # sampled: the last half second of each process is missing
        work = Path(done[0].work_dir)
        print("EvalHub runs:", [(r.status, r.score, r.sample_errors) for r in done])
        for w in workers:
            stop_process(w.proc)
        evalhub_cpu = children_cpu() - cpu_before  # the three workers with their engines (start-ups included)
    stats = server.ask("reset")
    peak, spans = stats["peak"], stats["spans"]
    window = max(b for _a, b in spans) - min(a for a, _b in spans)
    mean_in_flight = sum(b - a for a, b in spans) / window
    ideal = USERS * n * DELAY / LIMIT
    cpu_before = children_cpu()
    together = by_hand(server, work, tmp, True)
    hand_cpu = children_cpu() - cpu_before
    load_after = os.getloadavg()[0]
    peak_together = server.ask("reset")["peak"]
    one_by_one = by_hand(server, work, tmp, False) if os.environ.get("BENCH_SERIAL", "1") != "0" else None
    print(json.dumps({"samples_per_user": n, "ideal_s": ideal, "evalhub_s": round(evalhub_s, 2),
                      "evalhub_over_ideal": round(evalhub_s / ideal, 3), "evalhub_peak_in_flight": peak,
                      "evalhub_request_window_s": round(window, 2), "evalhub_mean_in_flight": round(mean_in_flight, 2),
                      "evalhub_cpu_s": round(evalhub_cpu, 1), "evalhub_cpu_by_role_s": by_role,
                      "hand_together_s": round(together, 2), "hand_together_peak_in_flight": peak_together,
                      "hand_together_cpu_s": round(hand_cpu, 1),
                      "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
                      "cores": os.cpu_count(),
                      "hand_one_after_another_s": one_by_one and round(one_by_one, 2),
                      "hand_one_after_another_peak": server.ask()["peak"]}, indent=1))
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
