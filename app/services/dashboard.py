"""What the dashboard shows a user: counts of their things and their latest jobs."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ApiToken, Conversation, EvalRun, PerfRun, User


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def counts_for(user: User) -> list[dict]:
    """Cards of the dashboard, each ``{"label", "value", "endpoint"}``."""
    from app.services import endpoints
    from app.services.datasets import catalog
    mine = ((_l("Conversations"), Conversation, "chat.index"), (_l("Evaluations"), EvalRun, "evals.index"),
            (_l("Benchmarks"), PerfRun, "perf.index"))
    cards = [(_l("Models"), endpoints.live_query(user), "models.index"),
             (_l("Datasets"), catalog.visible(user), "datasets.index")]
    cards += [(label, sa.select(model.id).where(model.owner_id == user.id), endpoint) for label, model, endpoint in mine]
    cards.append((_l("API tokens"), sa.select(ApiToken.id).where(ApiToken.user_id == user.id,
                                                                ApiToken.revoked_at.is_(None)), "auth.profile"))
    if user.is_admin:
        cards.append((_l("Users"), sa.select(User.id), "admin.users"))
    return [{"label": label, "value": _count(query), "endpoint": endpoint} for label, query, endpoint in cards]


def latest_runs(user: User, limit: int = 6) -> list[dict]:
    """The user's newest evaluations and benchmarks, newest first."""
    items = []
    for kind, model, endpoint in (("evaluation", EvalRun, "evals.show"), ("benchmark", PerfRun, "perf.show")):
        for run in db.session.scalars(sa.select(model).where(model.owner_id == user.id)
                                      .order_by(model.id.desc()).limit(limit)):
            items.append({"kind": kind, "run": run, "endpoint": endpoint})
    return sorted(items, key=lambda i: i["run"].created_at, reverse=True)[:limit]
