"""EvalHub's benchmark against ``evalscope perf`` run by hand: same fake model server, same settings, same prompts.

    .venv/bin/python bench/perf_vs_evalscope.py [--rounds 3] [--concurrency 1 4 16] [--number 100 400 800]

One EvalHub run goes through the real app (API ``POST /api/v1/perf``, polled until finished) and a real worker
(``flask --app run worker``) on a throwaway SQLite database and the embedded queue; then the ``evalscope perf`` CLI
runs by hand with the same arguments and the prompts file EvalHub wrote. The fake server (tests/fakes) answers with
a fixed delay before the first token and between tokens, so both should measure the same thing. The rounds alternate
which side goes first; reported are the medians over the rounds: per level the difference of each metric (the goal:
within 5 %), and the wall time of each side (the goal: EvalHub within 10 % of the hand run). EvalHub's wall time is
what a client sees: from the POST to the finished row, queue, worker start, test request and result collection
included; the hand run's is the CLI process from start to exit.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METRICS = [("Req Throughput (req/s)", "req/s"), ("Output Throughput (tok/s)", "out tok/s"),
           ("Avg Latency (s)", "latency s"), ("Avg TTFT (ms)", "TTFT ms"), ("Avg TPOT (ms)", "TPOT ms"),
           ("Avg ITL (ms)", "ITL ms")]
PERCENTILE_METRICS = [("Latency (s)", "p99 latency s"), ("TTFT (ms)", "p99 TTFT ms")]


def start_fake_server(args) -> tuple[subprocess.Popen, str]:
    """The fake model server in a process of its own, so nothing else in this process (the app answering the
    polls, the embedded queue answering the worker) takes the GIL from its request threads."""
    code = (f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); "
            "from tests.fakes.openai_server import FakeOpenAIServer; s = FakeOpenAIServer().start(); "
            f"s.add_model('bench-model', ttft={args.ttft}, token_delay={args.token_delay}, "
            f"reply=' '.join(f't{{i}}' for i in range({args.tokens}))); print(s.base_url, flush=True); "
            "time.sleep(10 ** 6)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def start_evalhub(tmp: Path, redis_url: str) -> tuple[dict, subprocess.Popen]:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'evalhub.db'}", REDIS_URL=redis_url,
               SECRET_KEY=secrets.token_urlsafe(32), EVALHUB_DATA_DIR=str(tmp / "data"),
               EVALHUB_ALLOW_PRIVATE_URLS="1", EVALHUB_LOG_LEVEL="WARNING")
    env.pop("EVALHUB_PARENT_PID", None)
    subprocess.run([sys.executable, "-m", "flask", "--app", "run", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "run", "worker", "--queues", "perf"],
                              cwd=ROOT, env=env, stdout=open(tmp / "worker.log", "wb"), stderr=subprocess.STDOUT)
    return env, worker


def evalhub_run(client, headers, endpoint_id: int, args) -> tuple[dict, float, Path]:
    body = {"endpoint_id": endpoint_id, "concurrency": args.concurrency, "number": args.number,
            "max_tokens": args.max_tokens, "prompt_length": args.prompt_length, "stream": True,
            "temperature": 0, "sleep_interval": args.sleep_interval, "timeout_minutes": 30}
    started = time.perf_counter()
    r = client.post("/api/v1/perf", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    run_id = r.get_json()["id"]
    while True:
        data = client.get(f"/api/v1/perf/{run_id}", headers=headers).get_json()
        if data["status"] not in ("queued", "running"):
            break
        time.sleep(0.25)
    wall = time.perf_counter() - started
    assert data["status"] == "succeeded", data
    from app.extensions import db
    from app.models import PerfRun
    db.session.rollback()
    work_dir = Path(db.session.get(PerfRun, run_id).work_dir)
    return {lv["concurrency"]: (lv["metrics"], lv["percentiles"]) for lv in data["levels"]}, wall, work_dir


def hand_run(base_url: str, model: str, prompts: Path, out: Path, args) -> tuple[dict, float]:
    cmd = [str(Path(sys.executable).parent / "evalscope"), "perf", "--url", f"{base_url}/chat/completions",
           "--api", "openai", "--model", model, "--parallel", *map(str, args.concurrency),
           "--number", *map(str, args.number), "--dataset", "line_by_line", "--dataset-path", str(prompts),
           "--max-tokens", str(args.max_tokens), "--stream", "--temperature", "0",
           "--sleep-interval", str(args.sleep_interval), "--total-timeout", "1800",
           "--outputs-dir", str(out), "--no-timestamp", "--name", "perf"]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=open(out.with_suffix(".log"), "wb"), stderr=subprocess.STDOUT)
    wall = time.perf_counter() - started
    levels = {}
    for c, n in zip(args.concurrency, args.number):
        folder = out / "perf" / f"parallel_{c}_number_{n}"
        levels[c] = (json.loads((folder / "benchmark_summary.json").read_text()),
                     json.loads((folder / "benchmark_percentile.json").read_text()))
    return levels, wall


def p99(rows: list, column: str) -> float:
    return next(r[column] for r in rows if r["Percentiles"] == "99%")


def values(levels: dict) -> dict:
    """{(concurrency, metric label): value} of one run."""
    out = {}
    for c, (metrics, percentiles) in levels.items():
        out.update({(c, label): metrics[key] for key, label in METRICS})
        out.update({(c, label): p99(percentiles, col) for col, label in PERCENTILE_METRICS})
    return out


def compare(ours: list[dict], theirs: list[dict]) -> list[dict]:
    """Per level and metric: the median over the rounds of each side, and their difference in percent."""
    rows = []
    for key in ours[0]:
        a = statistics.median(v[key] for v in ours)
        b = statistics.median(v[key] for v in theirs)
        rows.append({"concurrency": key[0], "metric": key[1], "evalhub": a, "hand": b,
                     "diff_pct": 100.0 * (a - b) / b if b else 0.0})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--number", type=int, nargs="+", default=[100, 400, 800])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--prompt-length", type=int, default=64)
    parser.add_argument("--sleep-interval", type=int, default=2)
    parser.add_argument("--ttft", type=float, default=0.1, help="the fake model's seconds to the first token")
    parser.add_argument("--token-delay", type=float, default=0.01, help="its seconds between tokens")
    parser.add_argument("--tokens", type=int, default=50, help="tokens in its reply")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    fake, base_url = start_fake_server(args)
    from app.embedded_redis import start_embedded_redis, stop_embedded_redis
    redis_server, redis_url = start_embedded_redis()
    tmp = Path(tempfile.mkdtemp(prefix="evalhub-bench-perf-"))
    env, worker = start_evalhub(tmp, redis_url)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EVALHUB_DATA_DIR",
                                           "EVALHUB_ALLOW_PRIVATE_URLS")})
    from app import create_app
    from config import Config
    app = create_app(Config())
    results = {"settings": vars(args) | {"json": None}, "rounds": []}
    try:
        with app.app_context():
            from app.services import accounts, endpoints, tokens
            user = accounts.create_user("bench", secrets.token_urlsafe(12), "user")
            endpoint = endpoints.create(user, {"name": "bench", "base_url": base_url,
                                               "model_name": "bench-model"})
            headers = {"Authorization": f"Bearer {tokens.create_token(user, 'bench')[1]}"}
            client = app.test_client()
            ours, theirs, prompts = [], [], None
            for round_no in range(1, args.rounds + 1):
                # alternate who goes first, so a drift of the machine's load favours neither side
                if prompts is not None and round_no % 2 == 0:
                    levels, their_wall = hand_run(base_url, "bench-model", prompts, tmp / f"hand-{round_no}", args)
                    theirs.append(values(levels))
                levels, our_wall, work_dir = evalhub_run(client, headers, endpoint.id, args)
                ours.append(values(levels))
                prompts = work_dir / "prompts.txt"  # the same prompts (and shape) for the hand run
                if len(theirs) < len(ours):
                    levels, their_wall = hand_run(base_url, "bench-model", prompts, tmp / f"hand-{round_no}", args)
                    theirs.append(values(levels))
                results["rounds"].append({"evalhub_wall_s": our_wall, "hand_wall_s": their_wall,
                                          "evalhub": {f"{c} {m}": v for (c, m), v in ours[-1].items()},
                                          "hand": {f"{c} {m}": v for (c, m), v in theirs[-1].items()}})
                print(f"round {round_no}: EvalHub {our_wall:.2f} s, evalscope by hand {their_wall:.2f} s", flush=True)
    finally:
        worker.terminate()
        worker.wait(10)
        fake.terminate()
        fake.wait(10)
        stop_embedded_redis(redis_server)
    rows = compare(ours, theirs)
    our_wall = statistics.median(r["evalhub_wall_s"] for r in results["rounds"])
    their_wall = statistics.median(r["hand_wall_s"] for r in results["rounds"])
    wall = 100.0 * (our_wall - their_wall) / their_wall
    worst = max(abs(r["diff_pct"]) for r in rows)
    results.update(rows=rows, evalhub_wall_s=our_wall, hand_wall_s=their_wall, wall_diff_pct=wall)
    print(f"\nmedians over {args.rounds} round(s)\n{'conc':>5} {'metric':<14} {'EvalHub':>11} {'by hand':>11} "
          f"{'diff':>8}")
    for r in rows:
        print(f"{r['concurrency']:>5} {r['metric']:<14} {r['evalhub']:>11.4f} {r['hand']:>11.4f} "
              f"{r['diff_pct']:>+7.2f}%")
    ok = worst <= 5 and abs(wall) <= 10
    print(f"wall time: EvalHub {our_wall:.2f} s, by hand {their_wall:.2f} s ({wall:+.1f} %, goal within ±10 %); "
          f"largest metric difference {worst:.2f} % (goal ≤ 5 %): {'PASS' if ok else 'FAIL'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
