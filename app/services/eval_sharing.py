"""Sharing evaluations with the team: an owner publishes a finished run (a read-only report every user may open,
listed on the leaderboards) and may unpublish it; unpublished runs stay private to their owner."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import EvalRun, User
from app.models.types import utcnow
from app.services import audit


class ShareError(ValueError):
    """The run cannot be published (not finished)."""


def readable_filter(user: User):
    """Runs ``user`` may read: their own and published ones."""
    return sa.or_(EvalRun.owner_id == user.id, EvalRun.published.is_(True))


def readable(user: User, run_id: int) -> EvalRun:
    """The run if ``user`` owns it or it is published, else 404."""
    run = db.session.scalar(sa.select(EvalRun).where(EvalRun.id == run_id, readable_filter(user)))
    if run is None:
        abort(404)
    return run


def set_published(run: EvalRun, actor: User, published: bool) -> EvalRun:
    """Publish or unpublish the owner's run (the caller checked ownership); only a succeeded run is published.
    Commits, with an audit event."""
    if published and run.status != "succeeded":
        raise ShareError(str(_l("Only a finished (succeeded) evaluation can be published.")))
    if run.published != published:
        run.published = published
        run.published_at = utcnow() if published else None
        audit.record("eval_run.publish" if published else "eval_run.unpublish", actor, target=run,
                     detail=run.endpoint_name)
    db.session.commit()
    return run
