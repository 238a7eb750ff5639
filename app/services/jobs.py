"""Submitting and reading RQ jobs. Job functions are named by dotted path; ``app`` never imports ``workers``."""
from __future__ import annotations

from rq.exceptions import NoSuchJobError
from rq.job import Job

from app.extensions import queues
from app.models import User
from app.queues import QueueUnavailable

PING_JOB = "workers.jobs.ping"


def _last_ping_key(user: User) -> str:
    return f"evalhub:ping:last:{user.id}"


def submit_ping(user: User) -> Job:
    """Queue the "ping the worker" job on the ``default`` queue and remember it as ``user``'s latest ping.

    Pings are per user: the job's meta names its user, and only that user reads its state (who asked, which worker
    host and pid answered)."""
    job = queues.enqueue("default", PING_JOB, user.username, job_timeout=60, result_ttl=86400, failure_ttl=86400,
                         meta={"user_id": user.id})
    queues.connection.set(_last_ping_key(user), job.id, ex=86400)
    return job


def ping_state(user: User, job_id: str) -> dict | None:
    """The state of ``user``'s own ping ``job_id``; ``None`` for any other job, another user's ping included."""
    try:
        job = Job.fetch(job_id, connection=queues.connection)
    except NoSuchJobError:
        return None
    if job.func_name != PING_JOB or job.meta.get("user_id") != user.id:
        return None
    return _state(job)


def job_state(job_id: str) -> dict | None:
    """A JSON-ready view of an RQ job: status, result or error, times; ``None`` when unknown."""
    try:
        job = Job.fetch(job_id, connection=queues.connection)
    except NoSuchJobError:
        return None
    return _state(job)


def _state(job: Job) -> dict:
    status = job.get_status(refresh=False)
    state = {
        "id": job.id,
        "func": job.func_name,
        "status": status.value if status else "unknown",
        "enqueued_at": job.enqueued_at.isoformat() if job.enqueued_at else None,
        "ended_at": job.ended_at.isoformat() if job.ended_at else None,
        "result": None,
        "error": None,
    }
    if status and status.value == "finished":
        state["result"] = job.return_value()
    elif status and status.value == "failed":
        latest = job.latest_result()
        state["error"] = (latest.exc_string or "").strip().splitlines()[-1:] if latest else None
    return state


def last_ping(user: User) -> dict | None:
    """``user``'s latest ping's state, or ``None`` when they sent none (or the queue is down)."""
    try:
        job_id = queues.connection.get(_last_ping_key(user))
        return ping_state(user, job_id.decode()) if job_id else None
    except (QueueUnavailable, Exception):  # the dashboard must render with Redis down
        return None
