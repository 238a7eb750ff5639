"""Evaluation jobs (queue ``evals``)."""
from __future__ import annotations

from pathlib import Path

from app.extensions import db
from app.models import EvalRun
from app.services.evals import ENGINES
from workers.runner import execute


def run_eval(run_id: int) -> str:
    """Run evaluation ``run_id``; a run that already has a work directory continues from its samples."""
    run = db.session.get(EvalRun, run_id)
    resume = bool(run and run.work_dir and (Path(run.work_dir) / "manifest.json").exists())
    return execute(EvalRun, run_id, ENGINES[run.engine if run else "evalscope"](), resume=resume)
