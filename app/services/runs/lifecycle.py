"""Every state change of a run, each a compare-and-set on its row.

queued → running → succeeded | answered | failed | cancelled, and failed | cancelled → queued again (resume). A change is an
``UPDATE … WHERE id = … AND status IN (…)``; its row count says whether this caller won. A worker that loses (the
run was cancelled, or reaped as dead while it hung) stops its engine and writes nothing more.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

import redis
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext, ngettext
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from app.extensions import db, queues
from app.models import User
from app.models.types import utcnow
from app.queues import QueueUnavailable
from app.services import audit

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
FINAL = ("succeeded", "answered", "failed", "cancelled")  # answered: answers stored, no judge yet

_KINDS: dict = {}  # run model -> (queue name or function of the run, job function path, advice for a dead run)


def register_kind(model, queue, func_path: str, dead_hint: str = "") -> None:
    """Declare which queue (a name, or a function of the run) and job function run rows of ``model``, and the
    advice shown when such a run's worker dies."""
    _KINDS[model] = (queue, func_path, dead_hint)


def _queue_of(run) -> str:
    queue = _KINDS[type(run)][0]
    return queue(run) if callable(queue) else queue


def _write(statement) -> int:
    """Execute one compare-and-set UPDATE and commit; its row count. A deadlock or lock timeout (MySQL 1213/1205:
    two UPDATEs of the same run racing through the status index and the primary key in opposite orders) is rolled
    back and tried again, a few times: the statement decides again on the row as it is then."""
    for attempt in range(5):
        try:
            result = db.session.execute(statement.execution_options(synchronize_session=False))
            db.session.commit()
            return result.rowcount
        except sa.exc.OperationalError as exc:
            db.session.rollback()
            code = getattr(exc.orig, "args", [None])[0]
            if code not in (1213, 1205) or attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    return 0


def transition(run, allowed: tuple[str, ...], status: str, started=None, **values) -> bool:
    """Move ``run`` to ``status`` if its row's status is one of ``allowed`` (and, given ``started``, the row is
    still the execution whose ``started_at`` that is); commit; True when this call won.

    Pending changes on ``run`` are flushed with it; ``run`` is refreshed from the row either way.
    """
    model = type(run)
    where = [model.id == run.id, model.status.in_(allowed)] + ([model.started_at == started] if started else [])
    won = _write(sa.update(model).where(*where).values(status=status, **values))
    db.session.refresh(run)
    return won == 1


def enqueue(run) -> None:
    """Put ``run`` on its queue under its own job id, with the one set of options every run kind uses."""
    _queue, func_path, _hint = _KINDS[type(run)]
    queues.enqueue(_queue_of(run), func_path, run.id, job_id=run.rq_job_id,
                   job_timeout=run.params.get("timeout_seconds", 86400) + 300, result_ttl=86400,
                   failure_ttl=7 * 86400, meta={"run_table": run.__tablename__, "run_id": run.id})


def submit(run, actor: User):
    """Store ``run`` as queued and enqueue it; the row says failed (and this raises) when Redis is down."""
    run.status, run.cancel_requested, run.error = "queued", False, None
    run.attempts = (run.attempts or 0) + 1
    db.session.add(run)
    db.session.flush()
    run.rq_job_id = f"{run.__tablename__}-{run.id}-{run.attempts}"
    audit.record(f"{run.__tablename__}.submit", actor, target=run, detail=run.endpoint_name)
    db.session.commit()
    _enqueue_or_fail(run)
    return run


def _enqueue_or_fail(run) -> None:
    try:
        enqueue(run)
    except QueueUnavailable as exc:
        finish(run, "failed", error=str(exc))
        raise


def reopen(run, actor: User) -> bool:
    """Queue a failed or cancelled run again (resume): a new attempt, on any worker. False if it was not."""
    attempt = (run.attempts or 0) + 1
    won = transition(run, ("failed", "cancelled"), "queued", attempts=attempt, cancel_requested=False, error=None,
                     status_note=None, finished_at=None, work_dir=None,
                     rq_job_id=f"{run.__tablename__}-{run.id}-{attempt}")
    if won:
        audit.record(f"{run.__tablename__}.resume", actor, target=run, detail=run.endpoint_name)
        db.session.commit()
        _enqueue_or_fail(run)
    return won


def start(run, worker_name: str | None, **values) -> bool:
    """queued → running for the worker that picked the job up, unless a cancel came first."""
    model = type(run)
    now = utcnow()
    won = _write(sa.update(model).where(model.id == run.id, model.status == "queued", model.cancel_requested.is_(False))
                 .values(status="running", started_at=now, heartbeat_at=now, worker_name=worker_name, **values))
    db.session.refresh(run)
    return won == 1


def heartbeat(run, started=None, **values) -> bool:
    """Stamp a running run's heartbeat (and progress ``values``); False when the run is no longer running here:
    ``started`` (the row's ``started_at``, read after ``start``) tells this execution from a later one of the same row (a
    resumed run whose old worker woke up, or a SQLite id used again)."""
    model = type(run)
    where = [model.id == run.id, model.status == "running"] + ([model.started_at == started] if started else [])
    return _write(sa.update(model).where(*where).values(heartbeat_at=utcnow(), **values)) == 1


def finish(run, status: str, error: str | None = None, note: str | None = None, started=None) -> bool:
    """Move an active run to a final state; False (and nothing written) when it already left the active states. A
    worker passes the ``started_at`` of its execution as ``started``: then only that running execution is finished."""
    allowed = ("running",) if started else ACTIVE
    return transition(run, allowed, status, started=started, error=error, status_note=note,
                      finished_at=utcnow())


def cancel(run, actor: User) -> str:
    """Cancel a queued or running run. Queued: marked cancelled now (and the flag set, so a worker that picks the
    job up anyway does not start it). Running: the flag is set; the worker loop sees it within a second or two and
    stops the engine's process group; finished samples stay. Returns the state to report."""
    if not run.is_active:
        return run.status
    audit.record(f"{run.__tablename__}.cancel", actor, target=run, detail=run.endpoint_name)
    db.session.commit()
    if transition(run, ("queued",), "cancelled", cancel_requested=True, finished_at=utcnow(),
                  status_note="Cancelled before it started."):
        try:
            if run.rq_job_id:
                Job.fetch(run.rq_job_id, connection=queues.connection).cancel()
        except (NoSuchJobError, InvalidJobOperation, QueueUnavailable, ValueError):
            pass  # not in Redis any more (ValueError: RQ found the job's execution gone mid-cancel): the row is the truth
        return run.status
    model = type(run)
    _write(sa.update(model).where(model.id == run.id, model.status == "running").values(cancel_requested=True))
    db.session.refresh(run)
    return "cancelling" if run.status == "running" else run.status


def reap_dead(model) -> int:
    """Mark failed every running row of ``model`` whose worker stopped beating; returns how many."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["RUN_DEAD_AFTER_SECONDS"])
    dead = db.session.scalars(sa.select(model).where(
        model.status == "running", sa.or_(model.heartbeat_at.is_(None), model.heartbeat_at < cutoff))).all()
    hint = _KINDS.get(model, (None, None, ""))[2]
    count = 0
    for run in dead:
        error = ("The worker running this job stopped (killed, crashed or restarted) without finishing it. "
                 + hint).strip()
        model_ = type(run)
        count += _write(sa.update(model_).where(
            model_.id == run.id, model_.status == "running",
            sa.or_(model_.heartbeat_at.is_(None), model_.heartbeat_at < cutoff))
            .values(status="failed", finished_at=utcnow(), error=error))
    db.session.commit()
    return count


def requeue_lost() -> int:
    """Queue again every queued row whose RQ job is gone (Redis restarted or lost its data); returns how many.

    Run by the workers' maintenance under its lock (one machine at a time); a job queued twice anyway runs once,
    since only one worker wins ``start``. A job still in Redis but in no queue counts as lost too.
    """
    count = 0
    for model in _KINDS:
        for run in db.session.scalars(sa.select(model).where(model.status == "queued")).all():
            if run.rq_job_id and _job_alive(run.rq_job_id):
                continue
            run.rq_job_id = run.rq_job_id or f"{run.__tablename__}-{run.id}-{run.attempts or 1}"
            db.session.commit()
            enqueue(run)
            count += 1
    db.session.commit()
    return count


def _job_alive(job_id: str) -> bool:
    """Whether RQ still holds the job: waiting in its queue, or taken by a worker. A job "queued" in name but in
    no queue was lost (a worker that died in its blocking pop took it with it): it counts as gone."""
    try:
        job = Job.fetch(job_id, connection=queues.connection)
    except NoSuchJobError:
        return False
    if job.get_status(refresh=False) != "queued":
        return True
    return job.get_position() is not None


def queue_position(run) -> int | None:
    """How many jobs wait before queued ``run`` in its RQ queue (0: it is next), read now (it changes as workers
    take jobs, so it is never stored); None when the run is not queued, its job is in no queue (a worker has just
    taken it, or it was lost), or Redis cannot be read."""
    if run.status != "queued" or not run.rq_job_id or type(run) not in _KINDS:
        return None
    try:
        return queues.get(_queue_of(run)).get_job_position(run.rq_job_id)
    except (redis.exceptions.RedisError, QueueUnavailable, OSError, ValueError):
        return None


def queue_note(run) -> str | None:
    """Why queued ``run`` has not started, in the reader's language: the jobs ahead of it (``queue_position``);
    None when that cannot be told."""
    ahead = queue_position(run)
    if ahead is None:
        return None
    if not ahead:
        return gettext("Queued: next in line; a worker starts it when one is free.")
    return ngettext("Queued: %(num)d run ahead of it; a worker starts it when one is free.",
                    "Queued: %(num)d runs ahead of it; a worker starts it when one is free.", ahead)


def job_timeout_seconds(minutes: int | None) -> int:
    """A run's time limit in seconds (the engine is stopped after it), capped by configuration."""
    limit = current_app.config.get("RUN_MAX_MINUTES", 24 * 60)
    return 60 * max(1, min(minutes or limit, limit))
