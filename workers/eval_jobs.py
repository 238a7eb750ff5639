"""Evaluation jobs (queues ``evals`` and ``opencompass``)."""
from __future__ import annotations

from app.extensions import db
from app.models import EvalRun
from app.services import runs
from app.services.evals import ENGINES, EvalInvalid, check_models
from workers.runner import execute


def run_eval(run_id: int) -> str:
    """Run evaluation ``run_id``: a later attempt (resume, re-queue) asks only for what the rows lack. A run whose
    model or judge was deleted, or whose address the outbound guard now refuses, fails before its engine starts."""
    run = db.session.get(EvalRun, run_id)
    if run is not None and run.status == "queued" and not run.cancel_requested:
        try:
            check_models(run)
        except EvalInvalid as exc:
            runs.finish(run, "failed", error=" ".join(exc.errors.values()))
            return run.status
    return execute(EvalRun, run_id, ENGINES[run.engine if run else "evalscope"]())
