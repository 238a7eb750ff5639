"""Benchmark: upload a 100,000-row QA JSONL to a live EvalHub server, then time the dataset preview.

    .venv/bin/python bench/datasets_upload.py                       # SQLite in a temporary directory
    .venv/bin/python bench/datasets_upload.py --database-url mysql+pymysql://root@127.0.0.1:3306   # MariaDB

The upload goes through ``POST /api/v1/datasets`` of a server subprocess (werkzeug, one thread); its time is the
client's wall time and its memory is the server's peak RSS during the request (``VmHWM``, reset just before) over
the RSS it had before. The preview (``GET /datasets/<id>?page=N``: first, middle and last page, unfiltered and
filtered) is timed in-process through the test client: the time the app takes to answer, best and worst of 7.
Results go to ``bench/results/datasets_upload-<backend>.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUBSETS = ("arithmetic", "history", "science", "literature")


def make_file(path: Path, rows: int) -> None:
    """``rows`` QA records of 150 to 400 characters of question, one per line."""
    rng = random.Random(7)
    words = "what which when where why how many much the of a in on for to is was are did does".split()
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            question = " ".join(rng.choice(words) for _ in range(rng.randint(30, 80)))
            record = {"id": f"q{i:06d}", "subset": SUBSETS[i % 4], "split": "test" if i % 10 else "dev",
                      "question": f"Question {i}: {question}?", "answer": f"answer {rng.randint(0, 10**6)}"}
            fh.write(json.dumps(record) + "\n")


def create_database(server_url: str | None, tmp: Path):
    """A fresh database URL (SQLite file, or a new database on ``server_url``) and a function that drops it."""
    if not server_url:
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    import sqlalchemy as sa
    name = f"evalhub_bench_{secrets.token_hex(3)}"
    server = sa.create_engine(server_url.rstrip("/") + "/?charset=utf8mb4")
    with server.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))

    def drop():
        with server.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
    return f"{server_url.rstrip('/')}/{name}?charset=utf8mb4", drop


def proc_status(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) // 1024
    return values


def serve(port: int) -> None:
    """The server subprocess: the production app factory, one request at a time."""
    from werkzeug.serving import make_server

    from app import create_app
    make_server("127.0.0.1", port, create_app(), threaded=False).serve_forever()


def upload(env: dict, path: Path, token: str) -> dict:
    import httpx
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env, cwd=str(ROOT))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/api/v1/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        before = proc_status(proc.pid)["VmRSS"]
        Path(f"/proc/{proc.pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
        started = time.perf_counter()
        with path.open("rb") as fh:
            r = httpx.post(base + "/api/v1/datasets", headers={"Authorization": f"Bearer {token}"},
                           data={"name": "bench-100k", "format": "qa"},
                           files={"file": ("bench.jsonl", fh, "application/x-ndjson")}, timeout=900)
        seconds = time.perf_counter() - started
        peak = proc_status(proc.pid)["VmHWM"]
        assert r.status_code == 201, r.text[:2000]
        return {"dataset_id": r.json()["id"], "rows": r.json()["rows"], "seconds": round(seconds, 2),
                "rss_before_mib": before, "rss_peak_mib": peak, "rss_growth_mib": peak - before}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def time_previews(app, dataset_id: int, rows: int, per_page: int = 25) -> list[dict]:
    """Best and worst of 7 in-process requests for the first, middle and last page, unfiltered and filtered."""
    client = app.test_client()
    r = client.post("/login", data={"username": "bench", "password": "bench-password-1"})
    assert r.status_code == 302, r.status_code
    last = -(-rows // per_page)
    subset_rows = sum(1 for i in range(rows) if i % 4 == 1 and i % 10)
    cases = [("all", "", last), ("subset=history&split=test", "subset=history&split=test",
                                 -(-subset_rows // per_page)), ("q=Question 99", "q=Question 99", None)]
    client.get(f"/datasets/{dataset_id}")  # warm up: templates compiled, connection open
    results = []
    for label, query, pages in cases:
        for page in ([1, (pages + 1) // 2, pages] if pages else [1]):
            times = []
            for _ in range(7):
                started = time.perf_counter()
                r = client.get(f"/datasets/{dataset_id}?{query}&page={page}")
                times.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200 and b"data-row=" in r.data
            results.append({"filter": label, "page": page, "best_ms": round(min(times), 1),
                            "median_ms": round(statistics.median(times), 1), "worst_ms": round(max(times), 1)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="a MySQL/MariaDB server URL without database (default: SQLite)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve)

    from flask_migrate import upgrade

    from app import create_app
    from app.services import accounts, tokens
    from config import Config, TestConfig

    tmp = Path(tempfile.mkdtemp(prefix="evalhub-bench-"))
    db_url, drop = create_database(args.database_url, tmp)
    env = dict(os.environ, DATABASE_URL=db_url, SECRET_KEY="bench-secret", EVALHUB_DATA_DIR=str(tmp / "data"),
               REDIS_URL="", EVALHUB_LOG_LEVEL="WARNING")
    path = tmp / "bench.jsonl"
    make_file(path, args.rows)
    try:
        app = create_app(Config(env))
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            user = accounts.create_user("bench", "bench-password-1")
            _token, value = tokens.create_token(user, "bench")
        result = {"backend": "mysql" if args.database_url else "sqlite", "file_mib": round(path.stat().st_size
                                                                                          / 2**20, 1),
                  "upload": upload(env, path, value)}
        test_app = create_app(TestConfig(env))
        with test_app.app_context():
            result["preview"] = time_previews(test_app, result["upload"]["dataset_id"], args.rows)
    finally:
        drop()
    out = ROOT / "bench" / "results" / f"datasets_upload-{result['backend']}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
