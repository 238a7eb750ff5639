"""The loop that runs one engine job: row → running, subprocess, progress + heartbeat + logs, results, final state.

Job functions (workers/jobs.py) call ``execute(model, run_id, engine)``. The loop polls the row's
``cancel_requested`` flag every second and kills the engine's process group when it is set or when the run's
time limit passes. Whatever happens, the row ends in a final state with a reason a person can read.
"""
from __future__ import annotations

import logging
import secrets
import time
import traceback
from pathlib import Path

from flask import current_app
from rq import get_current_job

from app.engines.base import Engine
from app.engines.process import EngineProcess
from app.extensions import db
from app.files import private_dir
from app.models.types import utcnow
from app.services import runs

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 5.0


def work_dir_for(run) -> Path:
    """The run's own directory: kept across resumes, never shared (ids can repeat after deletes)."""
    if run.work_dir:
        path = Path(run.work_dir)
    else:
        path = Path(current_app.config["DATA_DIR"]) / "jobs" / f"{run.__tablename__}-{run.id}-{secrets.token_hex(4)}"
    return private_dir(path)


def execute(model, run_id: int, engine: Engine, resume: bool = False) -> str:
    """Run ``engine`` for the row ``model(run_id)``; returns the final status."""
    run = db.session.get(model, run_id)
    if run is None or run.status != "queued" or run.cancel_requested:
        return run.status if run else "missing"
    ok, why = engine.available()
    if not ok:
        runs.finish(run, "failed", error=why)
        return run.status
    job = get_current_job()
    run.status, run.started_at, run.heartbeat_at = "running", utcnow(), utcnow()
    run.worker_name = job.worker_name if job else None
    work_dir = work_dir_for(run)
    run.work_dir = str(work_dir)
    db.session.commit()
    process = None
    try:
        launch = engine.prepare(run, work_dir, resume=resume)
        runs.append_log(run, [f"[evalhub] {engine.name}: {' '.join(launch.argv[-3:])}"])
        process = EngineProcess(launch.argv, work_dir, launch.env, work_dir / launch.log_file)
        returncode, cancelled, timed_out = _watch(run, engine, process, work_dir)
        runs.append_log(run, process.new_log_lines())
        outcome = engine.collect(run, work_dir, returncode, cancelled)
        if cancelled:
            runs.finish(run, "cancelled", note=outcome.note or "Cancelled; finished samples are kept.")
        elif timed_out:
            runs.finish(run, "failed", error=f"Stopped after its time limit. {outcome.error or ''}".strip())
        else:
            runs.finish(run, "succeeded" if outcome.ok else "failed", error=outcome.error, note=outcome.note)
    except Exception as exc:  # the row must say what happened, whatever it was
        db.session.rollback()
        log.exception("run %s %s failed", run.__tablename__, run_id)
        if process is not None and process.poll() is None:
            process.stop()
        runs.append_log(run, traceback.format_exc().splitlines()[-5:])
        run = db.session.get(model, run_id)
        runs.finish(run, "failed", error=f"{type(exc).__name__}: {exc}")
    finally:
        if process is not None:
            process.close()
    return run.status


def _watch(run, engine: Engine, process: EngineProcess, work_dir: Path) -> tuple[int | None, bool, bool]:
    """Poll until the engine exits, is cancelled or runs out of time: (returncode, cancelled, timed_out)."""
    deadline = time.monotonic() + run.params.get("timeout_seconds", 24 * 3600)
    last_beat = 0.0
    while True:
        returncode = process.poll()
        runs.append_log(run, process.new_log_lines())
        done, total = engine.progress(run, work_dir)
        run.progress_done, run.progress_total = done, max(total, run.progress_total or 0)
        now = time.monotonic()
        if now - last_beat >= HEARTBEAT_SECONDS:
            run.heartbeat_at = utcnow()
            last_beat = now
        db.session.commit()
        if returncode is not None:
            return returncode, False, False
        db.session.refresh(run, ["cancel_requested"])
        if run.cancel_requested:
            runs.append_log(run, ["[evalhub] cancel requested: stopping the engine"])
            return process.stop(), True, False
        if now > deadline:
            runs.append_log(run, ["[evalhub] time limit reached: stopping the engine"])
            return process.stop(), False, True
        process.wait(POLL_SECONDS)  # returns at once when the engine exits
