"""The embedded default: no servers to install.

``python run.py`` with neither ``DATABASE_URL`` nor ``REDIS_URL`` set migrates the SQLite database, creates the
first admin, starts a fakeredis TCP server in a thread and supervises ``flask --app run worker`` subprocesses on
it, so jobs submitted from the pages really run, through the same job code as in production.
"""
from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from flask import Flask

from app.embedded_redis import start_embedded_redis, stop_embedded_redis
from app.security import QuietRequestHandler
from config import BASE_DIR

log = logging.getLogger(__name__)


def prepare_database() -> None:
    """Upgrade the schema to the newest migration, create the first admin if there is no user, and load (or
    refresh) the built-in system datasets."""
    from flask import current_app
    from flask_migrate import upgrade

    from app.services import accounts
    from app.services.datasets import builtin

    upgrade(directory=str(BASE_DIR / "migrations"))
    user, generated = accounts.ensure_first_admin(current_app.config["ADMIN_PASSWORD"])
    for slug, outcome in builtin.load_builtin():
        log.info("Built-in dataset %s: %s", slug, outcome)
    if user is not None:
        if generated:
            banner = f"First admin created: username 'admin', password '{generated}' (shown only this once)."
        else:
            banner = "First admin created: username 'admin', password from EVALHUB_ADMIN_PASSWORD."
        print("\n" + "=" * len(banner) + "\n" + banner + "\n" + "=" * len(banner) + "\n", flush=True)


class EmbeddedQueue:
    """A fakeredis TCP server in a thread plus supervised RQ worker subprocesses."""

    def __init__(self, app: Flask, workers: int = 1):
        self.app = app
        self.worker_count = workers
        self.server = None
        self.processes: list[subprocess.Popen | None] = []
        self._stopping = threading.Event()

    def start(self) -> str:
        """Start the server and the workers; returns the ``redis://`` URL they share."""
        self.server, url = start_embedded_redis()
        self.app.config["REDIS_URL"] = url
        self.processes = [self._spawn(i) for i in range(self.worker_count)]
        threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True).start()
        atexit.register(self.stop)
        log.info("Embedded queue at %s with %d worker(s)", url, self.worker_count)
        return url

    def _spawn(self, index: int) -> subprocess.Popen:
        cfg = self.app.config
        # The workers get REDIS_URL and DATABASE_URL, so their own Config is not the embedded default: every setting
        # whose default depends on that is handed over as this process decided it, the same in web and workers.
        env = dict(os.environ,
                   REDIS_URL=cfg["REDIS_URL"], DATABASE_URL=cfg["SQLALCHEMY_DATABASE_URI"],
                   SECRET_KEY=cfg["SECRET_KEY"], EVALHUB_DATA_DIR=str(cfg["DATA_DIR"]),
                   EVALHUB_ALLOW_PRIVATE_URLS="1" if cfg["ALLOW_PRIVATE_URLS"] else "0",
                   EVALHUB_PARENT_PID=str(os.getpid()))
        cmd = [sys.executable, "-m", "flask", "--app", "run", "worker", "--name", f"embedded-{os.getpid()}-{index}"]
        return subprocess.Popen(cmd, cwd=str(BASE_DIR), env=env, start_new_session=True)

    def _supervise(self) -> None:
        """Restart a worker that died (a crash must not leave the queue without workers)."""
        while not self._stopping.wait(2.0):
            for i, proc in enumerate(self.processes):
                if proc is not None and proc.poll() is not None and not self._stopping.is_set():
                    log.warning("Embedded worker %d exited with %s; restarting it", i, proc.returncode)
                    time.sleep(1.0)
                    self.processes[i] = self._spawn(i)

    def stop(self) -> None:
        """Stop the workers (warm shutdown, then kill) and the server."""
        self._stopping.set()
        for proc in self.processes:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.processes:
            if proc is None:
                continue
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if self.server is not None:
            stop_embedded_redis(self.server)


def serve(app: Flask) -> None:
    """``python run.py``: prepare the embedded default where it applies, then serve on ``HOST``:``PORT``."""
    if app.config["EMBEDDED"]:
        with app.app_context():
            prepare_database()
    if not app.config["REDIS_URL"]:
        EmbeddedQueue(app, app.config["EMBEDDED_WORKERS"]).start()  # its workers queue lost jobs again
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"EvalHub is running on http://{host}:{port}/", flush=True)
    app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False,
            request_handler=QuietRequestHandler)
