"""Benchmark jobs (queue ``perf``): one evalscope perf run, then the next run of the same target may start."""
from __future__ import annotations

import logging

from app.engines.evalscope_perf import EvalscopePerfEngine
from app.extensions import db
from app.models import PerfRun
from app.queues import QueueUnavailable
from app.services import perf_queue
from workers.runner import execute

log = logging.getLogger(__name__)


def run_perf(run_id: int) -> str:
    """Run the benchmark ``PerfRun(run_id)``; afterwards hand the next waiting run of its target to RQ."""
    try:
        run = db.session.get(PerfRun, run_id)
        if run is not None and run.waiting:  # queued again by runs.requeue_lost: its turn comes through release()
            return "waiting"
        return execute(PerfRun, run_id, EvalscopePerfEngine())
    finally:
        db.session.rollback()
        run = db.session.get(PerfRun, run_id)
        if run is not None:
            try:
                perf_queue.release(run.target_key)
            except QueueUnavailable:
                log.warning("could not release the next benchmark of target %s: the queue is down", run.target_key)
