"""Background runs (evaluations, benchmarks): submit, cancel, find dead ones, and their live logs.

A run is a database row first, then an RQ job whose id is stored on the row. The worker loop
(workers/runner.py) writes progress and a heartbeat to the row and log lines to Redis, so the web side reads
everything it shows from the database or Redis, never from a worker's files.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from app.extensions import db, queues
from app.models import User
from app.models.types import utcnow
from app.queues import QueueUnavailable
from app.services import audit

LOG_KEEP_LINES = 5000
log = logging.getLogger(__name__)


_KINDS: dict = {}  # run model -> (queue name, job function path)
_DEAD_HINTS: dict = {}  # run model -> what the person can do about a run whose worker died


def register_kind(model, queue_name: str, func_path: str, dead_hint: str = "") -> None:
    """Declare which queue and job function run rows of ``model`` (used to re-queue lost jobs), and the advice
    shown when such a run's worker dies."""
    _KINDS[model] = (queue_name, func_path)
    _DEAD_HINTS[model] = dead_hint


def requeue_lost() -> int:
    """Queue again every queued row whose RQ job is gone (Redis restarted or lost its data); returns how many.

    Workers run this when they start, and so does the embedded default, whose queue lives in memory.
    """
    count = 0
    for model, (queue_name, func_path) in _KINDS.items():
        for run in db.session.scalars(sa.select(model).where(model.status == "queued")):
            if run.rq_job_id and Job.exists(run.rq_job_id, connection=queues.connection):
                continue
            run.rq_job_id = run.rq_job_id or f"{run.__tablename__}-{run.id}-{run.attempts or 1}"
            queues.enqueue(queue_name, func_path, run.id, job_id=run.rq_job_id,
                           job_timeout=run.params.get("timeout_seconds", 86400) + 300, result_ttl=86400,
                           failure_ttl=7 * 86400, meta={"run_table": run.__tablename__, "run_id": run.id})
            count += 1
    db.session.commit()
    return count


def log_key(run) -> str:
    return f"evalhub:log:{run.__tablename__}:{run.id}"


def submit(run, queue_name: str, func_path: str, actor: User, *, timeout: int, depends_on=None):
    """Store ``run`` and enqueue ``func_path(run.id)``; the row says queued, or failed when Redis is down."""
    run.status, run.cancel_requested, run.error = "queued", False, None
    run.attempts = (run.attempts or 0) + 1
    db.session.add(run)
    db.session.flush()
    run.rq_job_id = f"{run.__tablename__}-{run.id}-{run.attempts}"
    audit.record(f"{run.__tablename__}.submit", actor, target=run, detail=run.endpoint_name)
    db.session.commit()
    try:
        queues.enqueue(queue_name, func_path, run.id, job_id=run.rq_job_id, job_timeout=timeout + 300,
                       result_ttl=86400, failure_ttl=7 * 86400, depends_on=depends_on,
                       meta={"run_table": run.__tablename__, "run_id": run.id})
    except QueueUnavailable as exc:
        finish(run, "failed", error=str(exc))
        raise
    return run


def finish(run, status: str, error: str | None = None, note: str | None = None) -> None:
    """Move ``run`` to a final state (succeeded, failed or cancelled) and commit."""
    run.status = status
    run.error = error
    run.status_note = note
    run.finished_at = utcnow()
    db.session.commit()


def cancel(run, actor: User) -> str:
    """Cancel a queued or running run. Queued: removed from the queue now. Running: the worker loop sees the
    flag within a second or two and kills the engine's process group; finished samples stay."""
    if not run.is_active:
        return run.status
    audit.record(f"{run.__tablename__}.cancel", actor, target=run, detail=run.endpoint_name)
    if run.status == "queued":
        try:
            if run.rq_job_id:
                Job.fetch(run.rq_job_id, connection=queues.connection).cancel()
        except (NoSuchJobError, InvalidJobOperation, QueueUnavailable):
            pass  # not in Redis any more: the row is the truth
        finish(run, "cancelled", note="Cancelled before it started.")
        return run.status
    run.cancel_requested = True
    db.session.commit()
    return "cancelling"


def reap_dead(model) -> int:
    """Mark failed every running row of ``model`` whose worker stopped beating; returns how many."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["RUN_DEAD_AFTER_SECONDS"])
    dead = db.session.scalars(sa.select(model).where(
        model.status == "running", sa.or_(model.heartbeat_at.is_(None), model.heartbeat_at < cutoff),
        sa.or_(model.started_at.is_(None), model.started_at < cutoff))).all()
    for run in dead:
        run.status = "failed"
        run.finished_at = utcnow()
        run.error = ("The worker running this job stopped (killed, crashed or restarted) without finishing it. "
                     + _DEAD_HINTS.get(model, "")).strip()
    if dead:
        db.session.commit()
    return len(dead)


def append_log(run, lines: list[str]) -> None:
    """Add engine log lines to the run's live log in Redis (the newest LOG_KEEP_LINES are kept)."""
    if not lines:
        return
    try:
        pipe = queues.connection.pipeline()
        key = log_key(run)
        pipe.rpush(key, *[line[:2000] for line in lines])
        pipe.ltrim(key, -LOG_KEEP_LINES, -1)
        pipe.expire(key, 30 * 86400)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - the live log is best-effort; the run goes on (full log in its dir)
        log.warning("live log of %s %s not written: %s", run.__tablename__, run.id, exc)


def read_log(run, start: int = 0) -> tuple[list[str], int]:
    """Log lines from position ``start``; returns them and the next position (for SSE streaming)."""
    try:
        conn = queues.connection
        length = conn.llen(log_key(run))
        start = max(start, length - LOG_KEEP_LINES, 0)
        lines = [b.decode("utf-8", "replace") for b in conn.lrange(log_key(run), start, -1)]
    except Exception:  # noqa: BLE001 - a page must render with Redis down
        return [], start
    return lines, start + len(lines)


def job_timeout_seconds(minutes: int | None) -> int:
    """A run's time limit in seconds (the engine is stopped after it), capped by configuration."""
    limit = current_app.config.get("RUN_MAX_MINUTES", 24 * 60)
    return 60 * max(1, min(minutes or limit, limit))
