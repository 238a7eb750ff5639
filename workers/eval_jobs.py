"""Evaluation jobs (queues ``evals`` and ``opencompass``)."""
from __future__ import annotations

from app.extensions import db
from app.models import EvalRun
from app.services.evals import ENGINES
from workers.runner import execute


def run_eval(run_id: int) -> str:
    """Run evaluation ``run_id``: a later attempt (resume, re-queue) asks only for what the rows lack."""
    run = db.session.get(EvalRun, run_id)
    return execute(EvalRun, run_id, ENGINES[run.engine if run else "evalscope"]())
