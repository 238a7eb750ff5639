"""The crawl test's world: the routes of ``url_map``, a seeded embedded server, and the URLs to try per route."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from config import BASE_DIR
from tests.apps import csrf_token_in
from tests.services import wait_for

HUGE = "99999999999999999999"
JUNK_QUERY = (f"?page=0&per_page=-5&version={HUGE}&format=x&model=abc&dataset=abc&status=x&from=abc&run=abc"
              "&runs=abc&a=abc&b=abc&verdict=x&subset=%00&q=%27")
PUBLIC = {"auth.login", "main.health_check", "static", "api.openapi"}


def route_table() -> list[tuple[str, str, tuple[str, ...]]]:
    """``(endpoint, rule, methods)`` of every route, read from an app built on throwaway settings."""
    from app import create_app
    from config import TestConfig
    with tempfile.TemporaryDirectory(prefix="evalhub-routes-") as tmp:  # nothing connects: no file is written
        app = create_app(TestConfig({"DATABASE_URL": f"sqlite:///{tmp}/routes.db",
                                     "REDIS_URL": "redis://127.0.0.1:1/0", "EVALHUB_DATA_DIR": tmp}))
        return sorted((r.endpoint, r.rule, tuple(sorted(r.methods - {"HEAD", "OPTIONS"})))
                      for r in app.url_map.iter_rules())


def start_embedded(tmp: Path, port: int) -> subprocess.Popen:
    """``python run.py`` on a fresh data dir with neither DATABASE_URL nor REDIS_URL: the embedded default."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EVALHUB_PARENT_PID")}
    env.update(EVALHUB_DATA_DIR=str(tmp / "data"), PORT=str(port), EVALHUB_ADMIN_PASSWORD="first-admin-pw")
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=str(BASE_DIR), env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)

    def up():
        assert proc.poll() is None, (tmp / "server.log").read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    wait_for(up, timeout=90, interval=0.3, message="the embedded server")
    return proc


def signed_in(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = csrf_token_in(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 302, (username, r.status_code)
    return client


ARG = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def urls_for(endpoint: str, rule: str, ids: dict, junk: bool) -> list[str]:
    """Every URL of ``rule`` with each of the owner's ids for its last argument (the others at their first id),
    then the route's extra query strings and, when ``junk``, a query string of malformed parameters."""
    perf = endpoint.startswith("perf.") or (endpoint.startswith("api.") and "/perf" in rule)
    args = ARG.findall(rule)
    values = {a: ids.get("perf_run_id" if a == "run_id" and perf else a, ["x"]) for a in args}
    last = args[-1] if args else None  # a row or sample id belongs to the first dataset or run: vary the last only
    urls = []
    for value in (values[last] if last else [None]):
        chosen = {a: (value if a == last else values[a][0]) for a in args}
        urls.append(ARG.sub(lambda m: str(chosen[m.group(1)]), rule))
    extra = [u + q for u in urls[:1] for q in ids.get("queries", {}).get(endpoint, [])]
    return urls + extra + ([urls[0] + JUNK_QUERY] if junk else [])

