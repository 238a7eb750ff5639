"""Benchmark: chat streaming through EvalHub (one gunicorn gthread process) against a local fake model server.

    .venv/bin/python bench/chat_latency.py [--requests 200] [--rounds 20] [--concurrency 100]

Every EvalHub request is timed twice over, through the page's own call (``POST /chat/<id>/messages``: session
cookie and CSRF header, what the browser does) and through the REST API (``POST /api/v1/conversations/<id>/messages``
with a bearer token), each turn in a fresh conversation.

(a) TTFT through EvalHub minus TTFT straight to the fake server: ``--requests`` sequential pairs, interleaved.
(b) A three-slot turn (fast, medium, slow models) against the slow model alone, both through EvalHub, ``--rounds``
    interleaved pairs: total time to the ``end`` event, median over median.
(c) ``--concurrency`` chat streams of about 2 s each on the one process (50 tokens/s each, then 10 tokens/s each),
    all started at once and then spread over 1 s: all must complete; TTFT at that load against the same streams
    straight to the fake server, and the CPU the server process used.

The app runs as ``gunicorn -k gthread --threads 128 -w 1 run:app`` on a fresh migrated SQLite file with Redis
``redis://127.0.0.1:6379/12``; the fake server (tests/fakes/openai_server.py) runs in a process of its own, with
the fixed delays of ``MODELS``. Results go to ``bench/results/chat_latency.json``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORDS = " ".join(f"w{i}" for i in range(128))
#: name: (ttft s, delay between tokens s, tokens)
MODELS = {"bench-ttft": (0.05, 0.005, 16), "bench-fast": (0.02, 0.01, 30), "bench-medium": (0.05, 0.02, 30),
          "bench-slow": (0.1, 0.04, 30), "bench-load": (0.05, 0.02, 100), "bench-load-10": (0.05, 0.1, 20)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_fake(port: int) -> None:
    """``--serve-fake PORT``: the fake model server with the benchmark's fixed delays, until SIGTERM."""
    from tests.fakes.openai_server import FakeOpenAIServer
    server = FakeOpenAIServer(port=port)
    for name, (ttft, delay, tokens) in MODELS.items():
        server.add_model(name, reply=" ".join(WORDS.split()[:tokens]), ttft=ttft, token_delay=delay)
    server.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.stop()


def prepare(env: dict, fake_url: str) -> tuple[str, dict]:
    """Migrate the database; create a user, an API token and one model per fake behaviour."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "run", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    from app import create_app
    from app.services import accounts, endpoints, tokens
    from config import Config
    app = create_app(Config(env))
    with app.app_context():
        user = accounts.create_user("bench", "bench-password-1")
        _token, value = tokens.create_token(user, "bench")
        ids = {name: endpoints.create(user, {"name": name, "base_url": fake_url, "model_name": name}).id
               for name in MODELS}
    return value, ids


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "median_ms": round(statistics.median(values), 2), "p95_ms": round(pct(values, 95), 2)}


class Bench:
    """Timed requests, straight to the fake server or through EvalHub: the REST API (bearer token, ``api``) or the
    page's own calls (session cookie and CSRF header, ``page``)."""

    def __init__(self, app_url: str, fake_url: str, token: str, ids: dict, path: str = "api"):
        self.app_url, self.fake_url, self.ids, self.path = app_url, fake_url, ids, path
        self.headers, self.cookies = {"Authorization": f"Bearer {token}"}, None
        if path == "page":
            with httpx.Client(base_url=app_url, timeout=30) as c:
                token_re = r'name="csrf_token"[^>]*?value="([^"]+)"'
                login = re.search(token_re, c.get("/login").text).group(1)
                c.post("/login", data={"username": "bench", "password": "bench-password-1", "csrf_token": login})
                self.headers = {"X-CSRFToken": re.search(token_re, c.get("/chat/new").text).group(1)}
                self.cookies = dict(c.cookies)

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(timeout=60, cookies=self.cookies, **kw)

    def async_client(self, **kw) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=120, cookies=self.cookies, **kw)

    def conversation(self, client, *models: str) -> int:
        url = "/api/v1/conversations" if self.path == "api" else "/chat/conversations"
        r = client.post(self.app_url + url, headers=self.headers,
                        json={"slots": [{"model_id": self.ids[m]} for m in models]})
        r.raise_for_status()
        return r.json()["id"]

    def _send_url(self, conversation_id: int) -> str:
        if self.path == "api":
            return f"{self.app_url}/api/v1/conversations/{conversation_id}/messages"
        return f"{self.app_url}/chat/{conversation_id}/messages"

    @staticmethod
    def _direct_body(model: str) -> dict:
        return {"model": model, "messages": [{"role": "user", "content": "Hello there"}], "stream": True,
                "stream_options": {"include_usage": True}}

    def direct(self, client, model: str) -> tuple[float, float]:
        """(TTFT ms, total ms) of one stream straight to the fake server."""
        start, ttft, buf = time.perf_counter(), None, b""
        with client.stream("POST", f"{self.fake_url}/chat/completions", json=self._direct_body(model)) as r:
            for chunk in r.iter_raw():
                buf += chunk
                if ttft is None and b'"content"' in buf:
                    ttft = (time.perf_counter() - start) * 1000
        return ttft, (time.perf_counter() - start) * 1000

    def via_app(self, client, conversation_id: int) -> tuple[float, float, list[str]]:
        """(TTFT ms, total ms, slot statuses) of one turn through EvalHub."""
        start, ttft, buf = time.perf_counter(), None, b""
        with client.stream("POST", self._send_url(conversation_id), headers=self.headers,
                           json={"content": "Hello there"}) as r:
            for chunk in r.iter_raw():
                buf += chunk
                if ttft is None and b"event: token" in buf:
                    ttft = (time.perf_counter() - start) * 1000
        total = (time.perf_counter() - start) * 1000
        return ttft, total, _statuses(buf) if b"event: end" in buf else [f"no end (HTTP {r.status_code})"]

    async def direct_async(self, client, model: str) -> tuple[float, float]:
        start, ttft, buf = time.perf_counter(), None, b""
        async with client.stream("POST", f"{self.fake_url}/chat/completions", json=self._direct_body(model)) as r:
            async for chunk in r.aiter_raw():
                buf += chunk
                if ttft is None and b'"content"' in buf:
                    ttft = (time.perf_counter() - start) * 1000
        return ttft, (time.perf_counter() - start) * 1000

    async def via_app_async(self, client, conversation_id: int) -> tuple[float, float, list[str]]:
        start, ttft, buf = time.perf_counter(), None, b""
        async with client.stream("POST", self._send_url(conversation_id), headers=self.headers,
                                 json={"content": "Hello there"}) as r:
            async for chunk in r.aiter_raw():
                buf += chunk
                if ttft is None and b"event: token" in buf:
                    ttft = (time.perf_counter() - start) * 1000
        total = (time.perf_counter() - start) * 1000
        return ttft, total, _statuses(buf) if b"event: end" in buf else [f"no end (HTTP {r.status_code})"]


def _statuses(body: bytes) -> list[str]:
    out = []
    for frame in body.decode().split("\n\n"):
        if frame.startswith("event: done"):
            out.append(json.loads(frame.split("data: ", 1)[1])["message"]["status"])
    return out


def bench_ttft(b: Bench, n: int) -> dict:
    """(a): interleaved pairs, after a warm-up."""
    direct, app, statuses = [], [], []
    with b.client() as client:
        conversations = [b.conversation(client, "bench-ttft") for _ in range(n + 5)]
        for cid in conversations[:5]:
            b.via_app(client, cid), b.direct(client, "bench-ttft")
        for cid in conversations[5:]:
            direct.append(b.direct(client, "bench-ttft")[0])
            ttft, _total, st = b.via_app(client, cid)
            app.append(ttft)
            statuses += st
    diffs = [a - d for a, d in zip(app, direct)]
    return {"direct": summary(direct), "evalhub": summary(app), "paired_difference": summary(diffs),
            "added_median_ms": round(statistics.median(app) - statistics.median(direct), 2),
            "added_p95_ms": round(pct(app, 95) - pct(direct, 95), 2),
            "all_complete": statuses == ["complete"] * n}


def bench_fanout(b: Bench, rounds: int) -> dict:
    """(b): three slots of different speeds against the slowest alone."""
    alone, three, statuses = [], [], []
    with b.client() as client:
        pairs = [(b.conversation(client, "bench-slow"), b.conversation(client, "bench-fast", "bench-medium",
                                                                      "bench-slow")) for _ in range(rounds + 2)]
        for i, (one, trio) in enumerate(pairs):
            t1, t3 = b.via_app(client, one), b.via_app(client, trio)
            if i >= 2:  # warm-up
                alone.append(t1[1])
                three.append(t3[1])
                statuses += t1[2] + t3[2]
    return {"slowest_alone_total": summary(alone), "three_slots_total": summary(three),
            "ratio_of_medians": round(statistics.median(three) / statistics.median(alone), 4),
            "all_complete": statuses == ["complete"] * (4 * rounds)}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and its children processes (Linux /proc)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (/proc/stat)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


def peak_overlap(spans: list[tuple[float, float]]) -> int:
    """The most streams open at one moment."""
    edges = sorted([(a, 1) for a, _b in spans] + [(b, -1) for _a, b in spans])
    best = now = 0
    for _t, step in edges:
        now += step
        best = max(best, now)
    return best


async def bench_load(b: Bench, concurrency: int, spread_s: float, server_pid: int, model: str) -> dict:
    """(c): ``concurrency`` streams started over ``spread_s`` seconds (0: all at once), each about 2 s long,
    through EvalHub and straight to the server."""
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    with b.client() as setup:
        conversations = [b.conversation(setup, model) for _ in range(concurrency)]

    async def later(i: int, coro_fn, *args):
        await asyncio.sleep(spread_s * i / concurrency)
        start = time.perf_counter()
        out = await coro_fn(*args)
        return out, (start, time.perf_counter())

    async with b.async_client(limits=limits) as client:
        direct = await asyncio.gather(*(later(i, b.direct_async, client, model) for i in range(concurrency)))
        await asyncio.sleep(1)
        cpu_before, busy_before = cpu_seconds(server_pid), machine_busy()
        app = await asyncio.gather(*(later(i, b.via_app_async, client, cid) for i, cid in enumerate(conversations)))
    server_cpu = cpu_seconds(server_pid) - cpu_before
    busy_after = machine_busy()
    machine_pct = 100 * (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    statuses = [s for (_t, _tot, st), _span in app for s in st]
    app_ttft = [t for (t, _tot, _st), _span in app if t is not None]
    d_ttft = [t for (t, _tot), _span in direct]
    _ttft, delay, _tokens = MODELS[model]
    return {"path": b.path, "streams": concurrency, "arrivals_over_s": spread_s,
            "tokens_per_s_per_stream": round(1 / delay), "offered_tokens_per_s": round(concurrency / delay),
            "completed": statuses.count("complete"), "statuses": sorted(set(statuses)),
            "peak_open_streams": peak_overlap([span for _r, span in app]),
            "server_cpu_s": round(server_cpu, 2), "machine_cpu_busy_pct": round(machine_pct, 1),
            "server_cpu_us_per_token": round(server_cpu * 1e6 / (concurrency * MODELS[model][2]), 1),
            "direct_ttft": summary(d_ttft), "evalhub_ttft": summary(app_ttft),
            "direct_total": summary([tot for (_t, tot), _span in direct]),
            "evalhub_total": summary([tot for (_t, tot, _st), _span in app]),
            "added_median_ms": round(statistics.median(app_ttft) - statistics.median(d_ttft), 2),
            "added_p95_ms": round(pct(app_ttft, 95) - pct(d_ttft, 95), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--parts", default="abc", help="which parts to run (default: abc)")
    parser.add_argument("--serve-fake", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        return serve_fake(args.serve_fake)

    tmp = Path(tempfile.mkdtemp(prefix="evalhub-chat-bench-"))
    fake_port, app_port = free_port(), free_port()
    fake_url, app_url = f"http://127.0.0.1:{fake_port}/v1", f"http://127.0.0.1:{app_port}"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}", REDIS_URL="redis://127.0.0.1:6379/12",
               SECRET_KEY="bench-secret", EVALHUB_ALLOW_PRIVATE_URLS="1", EVALHUB_DATA_DIR=str(tmp),
               EVALHUB_LOG_LEVEL="WARNING")
    procs = []
    try:
        fake = subprocess.Popen([sys.executable, __file__, "--serve-fake", str(fake_port)], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)
        procs.append(fake)
        assert fake.stdout.readline().strip() == "ready"
        token, ids = prepare(env, fake_url)
        gunicorn = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-k", "gthread", "--threads", "128", "-w", "1",
                                     "-b", f"127.0.0.1:{app_port}", "--log-level", "warning", "run:app"],
                                    cwd=ROOT, env=env)
        procs.append(gunicorn)
        for _ in range(200):
            try:
                if httpx.get(f"{app_url}/health", timeout=1).json().get("db") == "ok":
                    break
            except (httpx.HTTPError, ValueError):
                time.sleep(0.1)
        api, page = Bench(app_url, fake_url, token, ids, "api"), Bench(app_url, fake_url, token, ids, "page")
        results = {"machine": f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
                   "models": {k: {"ttft_s": v[0], "token_delay_s": v[1], "tokens": v[2]} for k, v in MODELS.items()}}
        if "a" in args.parts:
            results["a_ttft"] = {"api": bench_ttft(api, args.requests), "page": bench_ttft(page, args.requests)}
        if "b" in args.parts:
            results["b_fanout"] = bench_fanout(page, args.rounds)
        if "c" in args.parts:
            results["c_load"] = [asyncio.run(bench_load(bench, args.concurrency, spread, gunicorn.pid, model))
                                 for model in ("bench-load", "bench-load-10") for bench in (page, api)
                                 for spread in (0.0, 1.0)]
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(15)
    out = ROOT / "bench/results" / ("chat_latency.json" if args.parts == "abc" else f"chat_latency-{args.parts}.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
