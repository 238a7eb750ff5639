"""Every active run of every user, for the admin page: what waits and what runs, on which model."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from app.extensions import db
from app.models import EvalRun, PerfRun, User
from app.services.runs.lifecycle import ACTIVE

KINDS = {"eval_run": EvalRun, "perf_run": PerfRun}


def active() -> list[tuple]:
    """(run, owner) of every queued or running evaluation and benchmark, oldest first."""
    found = []
    for model in KINDS.values():
        found += db.session.execute(sa.select(model, User).join(User, User.id == model.owner_id)
                                    .where(model.status.in_(ACTIVE))).all()
    return sorted(found, key=lambda pair: pair[0].created_at)


def get_or_404(kind: str, run_id: int):
    """A run of any user (admins only reach this)."""
    run = db.session.get(KINDS[kind], run_id) if kind in KINDS else None
    if run is None:
        abort(404)
    return run
