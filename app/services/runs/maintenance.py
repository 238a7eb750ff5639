"""The workers' periodic maintenance: reap dead runs, queue lost jobs again, and the kinds' own steps.

Every worker runs ``tick`` every ``MAINTENANCE_SECONDS`` in a thread of its own; a Redis lock lets one machine at a
time do the work. Pages never write: what a person sees is the rows as the workers left them.

The worker forks a work horse for each job while this thread may be mid-round. A fork copies every lock as it is,
and only the forking thread: a lock the round held (OpenSSL's, taken as PyMySQL builds each connection's TLS
context; a module's import lock; a pool's) stays held in the horse for ever, and its job hung until its time limit
(seen: a job popped as its worker started, while the first round connected to MariaDB). So a fork waits for the
round to end (``ROUND``, taken around every fork by ``os.register_at_fork``).
"""
from __future__ import annotations

import logging
import os
import secrets
import threading

from flask import Flask, current_app

from app.extensions import db, queues
from app.services.runs import fleet
from app.services.runs.lifecycle import _KINDS, reap_dead, requeue_lost

log = logging.getLogger(__name__)
LOCK = "evalhub:maintenance:lock"
_STEPS: list = []  # extra steps of run kinds (e.g. benchmarks handing a free target to the next run)
ROUND = threading.Lock()  # held through a maintenance round; every os.fork() of this process waits for it
os.register_at_fork(before=ROUND.acquire, after_in_parent=ROUND.release, after_in_child=ROUND.release)


def register_step(step) -> None:
    """Run ``step()`` after the reaping and re-queueing of every tick."""
    if step not in _STEPS:
        _STEPS.append(step)


def tick() -> dict | None:
    """One round under the lock; returns what it did, or None when another machine holds the lock."""
    conn = queues.connection
    token = secrets.token_hex(8)
    # the lock lives one period: a worker killed while holding it delays the next round by a period at most
    if not conn.set(LOCK, token, nx=True, ex=max(2, current_app.config["MAINTENANCE_SECONDS"])):
        return None
    try:
        done = {"reaped": sum(reap_dead(model) for model in list(_KINDS)), "requeued": requeue_lost()}
        for step in _STEPS:
            step()
        return done
    finally:
        db.session.rollback()
        if conn.get(LOCK) == token.encode():
            conn.delete(LOCK)


class MaintenanceThread(threading.Thread):
    """Publishes the worker's record and runs ``tick`` every period, until ``stop()``."""

    def __init__(self, app: Flask, name: str, engines: dict, queue_names: list[str]):
        super().__init__(name="evalhub-maintenance", daemon=True)
        self.app, self.worker_name, self.engines, self.queue_names = app, name, engines, queue_names
        self._stopped = threading.Event()

    def run(self) -> None:
        period = self.app.config["MAINTENANCE_SECONDS"]
        while not self._stopped.is_set():
            with ROUND, self.app.app_context():
                try:
                    fleet.publish(self.worker_name, self.engines, self.queue_names)
                    did = tick()
                    if did and (did["reaped"] or did["requeued"]):
                        log.warning("maintenance: %s", did)
                except Exception:  # noqa: BLE001 - Redis or the database down: try again next period
                    log.exception("maintenance round failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
            self._stopped.wait(period)

    def stop(self) -> None:
        self._stopped.set()
        try:
            with self.app.app_context():
                fleet.withdraw(self.worker_name)
        except Exception:  # noqa: BLE001
            pass
