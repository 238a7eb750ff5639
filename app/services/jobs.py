"""Submitting and reading RQ jobs. Job functions are named by dotted path; ``app`` never imports ``workers``."""
from __future__ import annotations

from rq.exceptions import NoSuchJobError
from rq.job import Job

from app.extensions import queues
from app.queues import QueueUnavailable

PING_JOB = "workers.jobs.ping"
LAST_PING_KEY = "evalhub:ping:last"


def submit_ping(requested_by: str) -> Job:
    """Queue the "ping the worker" job on the ``default`` queue and remember it as the latest ping."""
    job = queues.enqueue("default", PING_JOB, requested_by, job_timeout=60, result_ttl=86400, failure_ttl=86400)
    queues.connection.set(LAST_PING_KEY, job.id, ex=86400)
    return job


def job_state(job_id: str) -> dict | None:
    """A JSON-ready view of an RQ job: status, result or error, times; ``None`` when unknown."""
    try:
        job = Job.fetch(job_id, connection=queues.connection)
    except NoSuchJobError:
        return None
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


def last_ping() -> dict | None:
    """The latest ping's state, or ``None`` when there was none (or the queue is down)."""
    try:
        job_id = queues.connection.get(LAST_PING_KEY)
    except (QueueUnavailable, Exception):  # the dashboard must render with Redis down
        return None
    return job_state(job_id.decode()) if job_id else None
