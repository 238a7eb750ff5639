"""Backing services of a test session: a database and a Redis, embedded or real.

``EVALHUB_TEST_DATABASE_URL`` (a server URL without a database, e.g. ``mysql+pymysql://root@127.0.0.1:3306``) makes
the suite create a fresh database there and drop it at the end; otherwise a SQLite file is used.
``EVALHUB_TEST_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/15``) uses a real Redis (flushed at start); otherwise a
fakeredis TCP server runs in a thread, exactly as the embedded default does.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from config import BASE_DIR

TEST_DB_SERVER = os.environ.get("EVALHUB_TEST_DATABASE_URL", "").rstrip("/")
TEST_REDIS_URL = os.environ.get("EVALHUB_TEST_REDIS_URL", "")


def create_database(tmp_dir: Path) -> tuple[str, callable]:
    """A new empty database; returns its URL and a function that drops it."""
    if not TEST_DB_SERVER:
        path = tmp_dir / f"evalhub-{secrets.token_hex(4)}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"evalhub_test_{secrets.token_hex(4)}"
    server = sa.create_engine(TEST_DB_SERVER + "/?charset=utf8mb4")
    with server.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))

    def drop():
        with server.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        server.dispose()
    return f"{TEST_DB_SERVER}/{name}?charset=utf8mb4", drop


def start_redis() -> tuple[str, callable]:
    """A Redis URL for the session and a function that stops what was started."""
    if TEST_REDIS_URL:
        import redis
        redis.Redis.from_url(TEST_REDIS_URL).flushdb()
        return TEST_REDIS_URL, lambda: None
    from app.embedded_redis import start_embedded_redis, stop_embedded_redis
    server, url = start_embedded_redis()
    return url, lambda: stop_embedded_redis(server)


WORKER_LOGS: list[Path] = []  # every test worker's log, for the report of a run that never finished


def start_worker(env: dict, log_path: Path, name: str) -> subprocess.Popen:
    """``flask --app run worker`` as a real subprocess on the session's Redis and database."""
    if log_path not in WORKER_LOGS:
        WORKER_LOGS.append(log_path)
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "run", "worker", "--name", name],
                            cwd=str(BASE_DIR), env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def worker_published(redis_url: str, name: str) -> bool:
    """Whether worker ``name`` has published what it can run (it is ready for jobs)."""
    import redis
    return bool(redis.Redis.from_url(redis_url).exists(f"evalhub:worker:{name}"))


class WorkerHandle:
    """A real worker process: ``kill_hard()`` it like the OOM killer would, ``restart()`` it. ``data_dir`` gives it
    a data directory of its own, as a worker on another machine has."""

    def __init__(self, env: dict, log_path: Path, data_dir: Path | None = None):
        self.env, self.log_path = dict(env), log_path
        if data_dir is not None:
            self.env["EVALHUB_DATA_DIR"] = str(data_dir)
        self.name = f"test-worker-{secrets.token_hex(3)}"
        self.proc = start_worker(self.env, log_path, self.name)
        self.wait_ready()

    def wait_ready(self) -> None:
        wait_for(lambda: worker_published(self.env["REDIS_URL"], self.name) or self.proc.poll() is not None,
                 timeout=60, interval=0.2, message=f"worker {self.name} to start")
        if self.proc.poll() is not None:
            raise AssertionError(f"worker {self.name} exited ({self.proc.returncode}) as it started:\n"
                                 + log_tail(self.log_path))

    def children(self) -> list[int]:
        """PIDs whose parent is the worker (its work horse while a job runs)."""
        return [pid for pid, fields in process_stats().items() if int(fields[1]) == self.proc.pid]

    def kill_hard(self) -> None:
        """SIGKILL the worker and its work horse at once, leaving no chance to clean up."""
        for pid in [self.proc.pid, *self.children()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()

    def restart(self) -> None:
        if self.proc.poll() is None:
            stop_process(self.proc)
        self.name = f"test-worker-{secrets.token_hex(3)}"
        self.proc = start_worker(self.env, self.log_path, self.name)
        self.wait_ready()

    def stop(self) -> None:
        stop_process(self.proc)


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def process_stats() -> dict[int, list[str]]:
    """Every live process's ``/proc/<pid>/stat`` fields after its name (state, parent pid, ..., utime at [11], stime
    at [12])."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
    return found


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def embedded_server(tmp_path: Path, admin_password: str = "first-admin-pw") -> Iterator[tuple[str, subprocess.Popen]]:
    """README's first command, ``python run.py``, on a fresh data dir (``tmp_path/data``): the embedded default
    (SQLite, fakeredis, one worker) with a first admin. Yields the base URL and the server process, once healthy."""
    import httpx
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EVALHUB_PARENT_PID")}
    env.update(EVALHUB_DATA_DIR=str(tmp_path / "data"), PORT=str(port), EVALHUB_ADMIN_PASSWORD=admin_password)
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "run.py"], cwd=str(BASE_DIR), env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"

        def healthy():
            assert proc.poll() is None, log_path.read_text()
            try:
                body = httpx.get(base + "/health", timeout=2).json()
            except httpx.HTTPError:
                return None
            return body if body["workers"] >= 1 else None
        try:
            wait_for(healthy, timeout=90, interval=0.5, message="the embedded app and its worker")
            yield base, proc
        finally:
            stop_process(proc, timeout=20)
