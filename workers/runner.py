"""The loop that runs one engine job: row → running, subprocess, samples + progress + heartbeat + logs, final state.

Job functions (workers/jobs.py) call ``execute(model, run_id, engine)``. Each attempt works in a scratch directory
of its own on this machine, made from the rows (never another worker's files). Every second the loop stores what
the engine finished (``engine.ingest``), the progress counted from the rows and a heartbeat, and checks the row's
``cancel_requested`` flag; it stops the engine's process group on cancel, on the run's time limit, or when the row
left "running" (reaped as dead while this worker hung). Every state change goes through ``app.services.runs``;
whatever happens, the row ends in a final state with a reason a person can read. An engine that exits non-zero
without a cancel has failed (resumable), whatever it wrote.
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
from app.services import runs
from app.services.scheduler import Seat

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0  # heartbeat, progress, cancel and time limit
INGEST_SECONDS = 0.25  # how often the engine's new answers are stored: a crash loses little more than those in flight


def scratch_dir(run) -> Path:
    """This attempt's own directory on this machine (owner-only): never shared, never needed by another worker."""
    return private_dir(Path(current_app.config["DATA_DIR"]) / "jobs"
                       / f"{run.__tablename__}-{run.id}-a{run.attempts or 1}-{secrets.token_hex(4)}")


def execute(model, run_id: int, engine: Engine, resume: bool = False) -> str:
    """Run ``engine`` for the row ``model(run_id)``; returns the final status (or the status that stopped it)."""
    run = db.session.get(model, run_id)
    if run is None or run.status != "queued" or run.cancel_requested:
        return run.status if run else "missing"
    ok, why = engine.available()
    if not ok:
        runs.finish(run, "failed", error=why)
        return run.status
    job = get_current_job()
    work_dir = scratch_dir(run)
    values = {"work_dir": str(work_dir)}
    if hasattr(model, "engine_version"):
        values["engine_version"] = engine.version()
    if not runs.start(run, job.worker_name if job else None, **values):
        return run.status  # cancelled (or taken) before it started: nothing to do
    mine = run.started_at  # as the row holds it: this execution's mark in every later write
    process, seat = None, None
    try:
        seat = Seat(run)
        if not seat.wait(lambda note: _still_wanted(run, note, mine)):
            return _current_status(model, run_id)
        runs.heartbeat(run, started=mine, status_note=None)
        seat.start()
        engine.route, engine.slot = seat.url_of, seat.slot
        launch = engine.prepare(run, work_dir, resume=resume or (run.attempts or 1) > 1)
        seat.mark()  # what others send the endpoint from here on is reported (a benchmark's own test request is not)
        runs.append_log(run, [f"[evalhub] {engine.name}: attempt {run.attempts or 1}"])
        deadline = time.monotonic() + run.params.get("timeout_seconds", 24 * 3600)
        while True:  # one engine process per stage (answers, then the judge), while each ends cleanly
            process = EngineProcess(launch.argv, work_dir, launch.env, work_dir / launch.log_file)
            returncode, stopped = _watch(run, engine, process, work_dir, deadline, mine)
            runs.append_log(run, process.new_log_lines())
            launch = None if stopped or returncode != 0 else _next_stage(engine, run, work_dir)
            if launch is None:
                break
            process.close()
            runs.append_log(run, ["[evalhub] answers stored: the judge reads the rest"])
        if stopped is None and returncode == 0:
            stopped = _in_process_stage(run, engine, work_dir, deadline, mine)
        if stopped == "lost":
            return _current_status(model, run_id)
        if seat.exclusive:
            run.params = {**run.params, "endpoint_touched": seat.touched()}
        outcome = engine.collect(run, work_dir, returncode, stopped == "cancelled")
        if stopped == "cancelled":
            runs.finish(run, "cancelled", note=outcome.note or "Cancelled; finished samples are kept.",
                        started=mine)
        elif stopped == "timed_out":
            runs.finish(run, "failed", error=f"Stopped after its time limit. {outcome.error or ''}".strip(),
                        started=mine)
        elif returncode != 0:
            runs.finish(run, "failed", error=outcome.error if not outcome.ok else
                        f"The engine stopped unexpectedly (exit code {returncode}). {outcome.note or ''}".strip(),
                        started=mine)
        else:
            runs.finish(run, (outcome.status or "succeeded") if outcome.ok else "failed", error=outcome.error,
                        note=outcome.note, started=mine)
    except Exception as exc:  # the row must say what happened, whatever it was
        db.session.rollback()
        log.exception("run %s %s failed", model.__tablename__, run_id)
        if process is not None and process.poll() is None:
            process.stop()
        run = db.session.get(model, run_id)
        runs.append_log(run, traceback.format_exc().splitlines()[-5:])
        if run is not None:
            runs.finish(run, "failed", error=f"{type(exc).__name__}: {exc}", started=mine)
    finally:
        if process is not None:
            process.close()
        if seat is not None:
            seat.close()
    return _current_status(model, run_id)


def _next_stage(engine: Engine, run, work_dir: Path):
    """The engine's next stage's launch (an engine that has stages says so with ``next_stage``), else None."""
    next_stage = getattr(engine, "next_stage", None)
    return next_stage(run, work_dir) if next_stage is not None else None


def _still_wanted(run, note: str, mine) -> bool:
    """While the run waits for its endpoint: show ``note``, beat, and stop waiting on a cancel (then it ends
    cancelled) or when the row left "running"."""
    if not runs.heartbeat(run, started=mine, status_note=note[:255]):
        return False
    db.session.refresh(run, ["cancel_requested"])
    if run.cancel_requested:
        runs.finish(run, "cancelled", note="Cancelled while it waited for its model.", started=mine)
        return False
    return True


def _in_process_stage(run, engine: Engine, work_dir: Path, deadline: float, mine) -> str | None:
    """The engine's stage run in this worker after its last process (a judge panel), with the same heartbeat,
    cancel and time limit as ``_watch``: None when it finished (or there is none), else why it stopped."""
    stage = getattr(engine, "in_process_stage", None)
    if stage is None:
        return None
    stopped = stage(run, lambda: _checkpoint(run, engine, work_dir, deadline, mine, "the judges"))
    if stopped is None:
        _checkpoint(run, engine, work_dir, deadline, mine, "the judges", ended=True)  # every sample settled
    return stopped


def _current_status(model, run_id: int) -> str:
    db.session.rollback()
    run = db.session.get(model, run_id)
    return run.status if run else "missing"


def _watch(run, engine: Engine, process: EngineProcess, work_dir: Path,
           deadline: float, mine) -> tuple[int | None, str | None]:
    """Poll until the engine exits or is stopped: (returncode, None | "cancelled" | "timed_out" | "lost")."""
    ingest = getattr(engine, "ingest", None)
    while True:
        returncode = process.poll()
        runs.append_log(run, process.new_log_lines())
        if ingest is not None:
            ingest(run, work_dir)
        reason = _checkpoint(run, engine, work_dir, deadline, mine, "the engine", ended=returncode is not None)
        if returncode is not None:
            return returncode, None
        if reason is not None:
            return process.stop(), reason
        _ingest_until(run, work_dir, process, ingest, time.monotonic() + POLL_SECONDS)


def _checkpoint(run, engine: Engine, work_dir: Path, deadline: float, mine, what: str,
                ended: bool = False) -> str | None:
    """Store the progress and a heartbeat; unless ``ended``, why ``what`` must stop now ("lost": the row left this
    execution, "cancelled", "timed_out"), else None."""
    done, total = engine.progress(run, work_dir)
    alive = runs.heartbeat(run, started=mine, progress_done=done, progress_total=max(total, run.progress_total or 0),
                           **({"summary": run.summary} if hasattr(run, "summary") else {}))
    if ended:
        return None
    if not alive:
        runs.append_log(run, [f"[evalhub] this run is no longer running here: stopping {what}"])
        return "lost"
    db.session.refresh(run, ["cancel_requested"])
    if run.cancel_requested:
        runs.append_log(run, [f"[evalhub] cancel requested: stopping {what}"])
        return "cancelled"
    if time.monotonic() > deadline:
        runs.append_log(run, [f"[evalhub] time limit reached: stopping {what}"])
        return "timed_out"
    return None


def _ingest_until(run, work_dir: Path, process: EngineProcess, ingest, until: float) -> None:
    """Store what the engine finishes, every INGEST_SECONDS, until ``until`` or the engine exits."""
    while time.monotonic() < until:
        if process.wait(INGEST_SECONDS) is not None:  # returns at once when the engine exits
            return
        if ingest is not None:
            ingest(run, work_dir)
