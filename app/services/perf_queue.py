"""The benchmark queue: submission, one run per target at a time, cancel.

A *target* is the server and model under test (base URL + model name, hashed into ``PerfRun.target_key``). Only one
run per target is in RQ at a time; the others wait in the database (``waiting``, status queued) and are handed to
RQ, oldest first, when the target frees up: by the worker when a run ends, after a cancel, and on every page or
API read (``refresh``), so a waiting run is never stranded by a killed worker. (RQ's own ``depends_on`` does not
release dependents when a queued dependency is cancelled, and a cancelled dependency never counts as met.)
"""
from __future__ import annotations

import secrets
import time
from contextlib import contextmanager

import redis
import sqlalchemy as sa

from app.extensions import db, queues
from app.models import ModelEndpoint, PerfRun, User
from app.models.run import ACTIVE
from app.queues import QueueUnavailable
from app.services import audit, runs
from app.services.runs import maintenance
from app.services.perf import target_key

QUEUE = "perf"
JOB = "workers.perf_jobs.run_perf"
runs.register_kind(PerfRun, QUEUE, JOB)  # maintenance queues lost runs again (a waiting one just returns)


@contextmanager
def _target_lock(key: str):
    """A short Redis lock around the decisions about one target (SET NX: no Lua, so the embedded queue works)."""
    name, token = f"evalhub:perf:target:{key}", secrets.token_hex(8)
    try:
        conn = queues.connection
        deadline = time.monotonic() + 10
        while not conn.set(name, token, nx=True, ex=30):
            if time.monotonic() > deadline:
                break  # a crashed holder: its key expires anyway; go on rather than fail the user
            time.sleep(0.05)
    except redis.exceptions.RedisError as exc:
        raise QueueUnavailable(f"The job queue is unreachable: {exc}") from exc
    try:
        yield
    finally:
        try:
            if conn.get(name) == token.encode():
                conn.delete(name)
        except redis.exceptions.RedisError:
            pass


def _ahead(key: str) -> list[PerfRun]:
    """Active runs of a target in queue order: the one holding it (not waiting) first, then the waiting ones."""
    db.session.rollback()  # a fresh snapshot (MySQL's repeatable read would show the past)
    return list(db.session.scalars(sa.select(PerfRun).where(PerfRun.target_key == key, PerfRun.status.in_(ACTIVE))
                                   .order_by(PerfRun.waiting, PerfRun.id)))


def submit(user: User, endpoint: ModelEndpoint, params: dict) -> PerfRun:
    """Store the run and queue it, or let it wait while another run of the same target is queued or running."""
    run = PerfRun(owner_id=user.id, endpoint_id=endpoint.id, endpoint_name=endpoint.name, params=params,
                  target_key=target_key(endpoint.base_url, endpoint.model_name),
                  progress_total=sum(params["number"]))
    with _target_lock(run.target_key):
        ahead = _ahead(run.target_key)
        if not ahead:
            return runs.submit(run, user)
        run.status, run.waiting, run.attempts = "queued", True, 1
        run.status_note = f"Waits for benchmark #{ahead[-1].id} on the same model"
        db.session.add(run)
        db.session.flush()
        run.rq_job_id = f"{run.__tablename__}-{run.id}-{run.attempts}"
        audit.record(f"{run.__tablename__}.submit", user, target=run, detail=run.endpoint_name)
        db.session.commit()
    return run


def release(key: str) -> PerfRun | None:
    """Hand the oldest waiting run of a target to RQ when nothing else of that target is queued or running, and
    bring the "waits for" notes of the others up to date. Returns the run handed over, if any."""
    with _target_lock(key):
        ahead = _ahead(key)
        start = ahead[0] if ahead and ahead[0].waiting else None
        if start is not None:
            start.waiting, start.status_note = False, None
        for before, after in zip(ahead, ahead[1:]):
            after.status_note = f"Waits for benchmark #{before.id} on the same model"
        db.session.commit()
        if start is not None:
            try:
                runs.enqueue(start)
            except QueueUnavailable as exc:
                runs.finish(start, "failed", error=str(exc))
        return start


def release_stalled() -> None:
    """Release targets whose waiting runs nobody released (a worker died holding one): a maintenance step."""
    keys = db.session.scalars(sa.select(PerfRun.target_key).where(PerfRun.waiting.is_(True),
                                                                   PerfRun.status == "queued").distinct()).all()
    for key in keys:
        try:
            release(key)
        except QueueUnavailable:
            return


def cancel(run: PerfRun, actor: User) -> str:
    """Cancel a run (see runs.cancel); a waiting or queued one frees its place at once."""
    state = runs.cancel(run, actor)
    if state == "cancelled" and run.waiting:
        run.waiting = False
        db.session.commit()
    try:
        release(run.target_key)
    except QueueUnavailable:
        pass
    return state


maintenance.register_step(release_stalled)
