"""``flask --app run worker``: an RQ worker running jobs inside the app context."""
from __future__ import annotations

import logging
import os
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Queue, Worker

from app.extensions import db, queues


class AppWorker(Worker):
    """An RQ worker whose forked work horses get fresh database connections (pools must not cross a fork)."""

    def _set_ip_address(self, connection):
        # fakeredis's TCP server (the embedded queue) writes CLIENT LIST addresses as Python tuples, which
        # redis-py cannot parse; fall back to RQ's own answer for servers without CLIENT LIST.
        try:
            super()._set_ip_address(connection)
        except ValueError:
            self.ip_address = "unknown"

    def main_work_horse(self, job, queue):
        db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)


def _exit_with_parent(parent_pid: int) -> None:
    """Embedded workers stop when the app process that started them is gone."""
    def watch():
        while True:
            threading.Event().wait(2.0)
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGTERM)
                return
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def probe_engines() -> dict[str, str | None]:
    """The accuracy engines this machine can run, with their versions (what this worker publishes)."""
    from app.services.evals import ENGINES

    found = {}
    for name, engine in ENGINES.items():
        if engine().available()[0]:
            found[name] = engine.version()
    return found


@click.command("worker")
@click.option("--queues", "queue_names", default=None,
              help="Comma-separated queues to serve, in priority order (default: evals, opencompass when it is "
                   "installed here, perf, default).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
@with_appcontext
def worker_command(queue_names: str | None, burst: bool, name: str | None) -> None:
    """Run an RQ worker on REDIS_URL inside the app context, with the periodic maintenance thread."""
    from sqlalchemy.orm import configure_mappers

    from app.services.runs.maintenance import MaintenanceThread

    configure_mappers()
    engines = probe_engines()
    default = [q for q in current_app.config["JOB_QUEUES"] if q != "opencompass" or "opencompass" in engines]
    names = [q.strip() for q in (queue_names or ",".join(default)).split(",") if q.strip()]
    unknown = set(names) - set(current_app.config["JOB_QUEUES"])
    if unknown:
        raise click.ClickException(f"Unknown queue(s): {', '.join(sorted(unknown))}")
    if os.environ.get("EVALHUB_PARENT_PID", "").isdigit():
        _exit_with_parent(int(os.environ["EVALHUB_PARENT_PID"]))
    connection = queues.connection
    worker = AppWorker([Queue(n, connection=connection) for n in names], connection=connection, name=name)
    maintenance = MaintenanceThread(current_app._get_current_object(), worker.name, engines, names)
    maintenance.start()
    logging.getLogger("rq.worker").setLevel(current_app.config["LOG_LEVEL"])
    try:
        worker.work(burst=burst, logging_level=current_app.config["LOG_LEVEL"])
    finally:
        maintenance.stop()
