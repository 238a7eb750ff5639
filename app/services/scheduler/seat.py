"""A run's place on its endpoints, from the moment its worker starts it to its end (used by workers/runner.py).

``wait`` lets the run in: an evaluation joins its model and judge endpoints (it waits while a benchmark holds one);
a benchmark takes its endpoint whole and waits until the evaluations there have finished. Then ``start`` runs the
forwarding proxy (evaluations) and a keeper thread renewing every lease, ``url_of`` gives the engine the URL to
use, and ``close`` gives everything back. A killed worker renews nothing: its leases expire and the capacity returns.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app

from app.extensions import db, queues
from app.models import ModelEndpoint
from app.services.scheduler import admission, leases
from app.services.scheduler.proxy import Proxy, Target

ENDPOINTS = leases.PREFIX + "endpoints"


def capacity_of(endpoint: ModelEndpoint) -> int:
    """The endpoint's limit: the strictest ``max_concurrency`` of every registration of the same base URL + model."""
    key = leases.endpoint_key(endpoint.base_url, endpoint.model_name)
    rows = db.session.scalars(sa.select(ModelEndpoint).where(ModelEndpoint.model_name == endpoint.model_name,
                                                             ModelEndpoint.deleted_at.is_(None))).all()
    limits = [r.max_concurrency for r in rows if leases.endpoint_key(r.base_url, r.model_name) == key]
    return max(1, min(limits or [endpoint.max_concurrency or 1]))


def target_of(endpoint: ModelEndpoint) -> Target:
    """The endpoint as the scheduler sees it; its name and limit are published for the pages and /metrics."""
    key = leases.endpoint_key(endpoint.base_url, endpoint.model_name)
    capacity = capacity_of(endpoint)
    conn = queues.connection
    conn.hset(leases.key_of(key, "meta"), mapping={"name": endpoint.name, "model": endpoint.model_name,
                                                   "base_url": endpoint.base_url, "capacity": capacity})
    conn.sadd(ENDPOINTS, key)
    return Target(endpoint.id, endpoint.base_url, key, capacity)


def member_of(run) -> str:
    return f"u{run.owner_id}|{run.__tablename__}-{run.id}"


class Seat:
    """One run's hold on the endpoints it uses."""

    def __init__(self, run):
        self.conn = queues.connection
        self.lease = current_app.config["SCHEDULER_LEASE_SECONDS"]
        self.member, self.owner = member_of(run), f"u{run.owner_id}"
        self.exclusive = bool(getattr(run, "takes_endpoint_whole", False))
        panel = [m["id"] for m in (run.params or {}).get("panel") or []]  # a judge panel's judges, asked by the worker
        ids = dict.fromkeys(i for i in (run.endpoint_id, getattr(run, "judge_endpoint_id", None), *panel) if i)
        self.targets = [target_of(e) for e in (db.session.get(ModelEndpoint, i) for i in ids) if e is not None]
        self.proxy: Proxy | None = None
        self._stop = threading.Event()
        self._mark = 0

    # -- admission -------------------------------------------------------------------------------------------
    def _try(self) -> str | None:
        """One attempt on every endpoint; None when the run may go, else what it waits for."""
        for target in self.targets:
            if self.exclusive:
                state = admission.try_take_whole(self.conn, target.key, self.member, target.capacity, self.lease)
                if state == "busy":
                    return "Waiting: another benchmark is measuring this model; this one starts when it ends."
                if state == "draining":
                    return self._draining(target.key)
            elif not admission.try_join(self.conn, target.key, self.member, self.lease):
                self._leave()
                return self._blocked(target.key)
        return None

    def _draining(self, key: str) -> str:
        others = [m for m in admission.live_runs(self.conn, key) if m != self.member]
        mine = [m.split("|")[1] for m in others if m.startswith(self.owner + "|")]
        text = f"Waiting: {len(others)} evaluation(s) on this model must finish first, so the benchmark measures an " \
               "idle server."
        return text + (f" Yours: {', '.join(mine)}." if mine else "")

    def _blocked(self, key: str) -> str:
        holder = admission.exclusive_holder(self.conn, key) or ""
        own = holder.split("|")[1] if holder.startswith(self.owner + "|") else None
        if own:
            return f"Waiting: your benchmark {own} is measuring this model; the evaluation starts when it ends."
        return "Waiting: a benchmark is measuring this model; the evaluation starts when it ends."

    def wait(self, keep_going) -> bool:
        """Try until admitted; ``keep_going(note)`` is called about every second with what the run waits for and
        returns False when the run should stop waiting (cancelled). True once admitted."""
        while True:
            why = self._try()
            if why is None:
                return True
            if not keep_going(why):
                self._leave()
                return False
            time.sleep(1.0)

    # -- running ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the proxy (evaluations) and the keeper renewing the leases; mark the start of the measurement."""
        if not self.exclusive:
            self.proxy = Proxy(self.conn, self.member, self.targets, self.lease)
        self.mark()
        threading.Thread(target=self._keep, name="evalhub-lease-keeper", daemon=True).start()

    def _keep(self) -> None:
        while not self._stop.wait(max(0.5, self.lease / 3)):
            try:
                for target in self.targets:
                    admission.renew(self.conn, target.key, self.member, self.lease, self.exclusive)
                if self.proxy is not None:
                    self.proxy.renew()
            except Exception:  # noqa: BLE001 - Redis away for a moment: try again next round
                continue

    def url_of(self, endpoint: ModelEndpoint) -> str:
        return self.proxy.url_of(endpoint.id) if self.proxy is not None else endpoint.base_url

    @contextmanager
    def slot(self, endpoint_id: int):
        """Hold a slot of ``endpoint_id``'s capacity around a request the worker sends itself (a judge panel's)."""
        pool = self.proxy.pools.get(endpoint_id) if self.proxy is not None else None
        taken = pool.take() if pool is not None else None
        if pool is not None and taken is None:
            raise RuntimeError("The run is stopping")
        try:
            yield
        finally:
            if taken is not None:
                pool.give(taken)

    def mark(self) -> None:
        self._mark = sum(leases.touches(self.conn, t.key) for t in self.targets)

    def touched(self) -> int:
        """Requests others sent to the endpoint(s) since ``mark`` (chat, checks, evaluations through EvalHub)."""
        return sum(leases.touches(self.conn, t.key) for t in self.targets) - self._mark

    def _leave(self) -> None:
        for target in self.targets:
            admission.leave(self.conn, target.key, self.member)

    def close(self) -> None:
        self._stop.set()
        if self.proxy is not None:
            self.proxy.close()
        try:
            self._leave()
        except Exception:  # noqa: BLE001 - Redis down: the leases expire on their own
            pass
