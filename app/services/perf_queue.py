"""The benchmark queue: submission and cancel.

A benchmark takes its model endpoint whole (app/services/scheduler): the worker that starts it waits, the run
saying what it waits for, until the evaluations on that endpoint have finished and no other benchmark holds it;
evaluations started meanwhile wait for it. One mechanism for every run kind, across users and worker machines.
"""
from __future__ import annotations

from app.models import ModelEndpoint, PerfRun, User
from app.services import runs
from app.services.scheduler import endpoint_key

QUEUE = "perf"
JOB = "workers.perf_jobs.run_perf"
runs.register_kind(PerfRun, QUEUE, JOB)


def submit(user: User, endpoint: ModelEndpoint, params: dict) -> PerfRun:
    """Store the run and queue it (raises QueueUnavailable, the row failed, when Redis is down)."""
    run = PerfRun(owner_id=user.id, endpoint_id=endpoint.id, endpoint_name=endpoint.name, params=params,
                  target_key=endpoint_key(endpoint.base_url, endpoint.model_name),
                  progress_total=sum(params["number"]))
    return runs.submit(run, user)


def cancel(run: PerfRun, actor: User) -> str:
    """Cancel a run (see runs.cancel): a queued one at once, a running or waiting one within a second or two."""
    return runs.cancel(run, actor)
