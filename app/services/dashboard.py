"""What the dashboard shows a user: counts of their things, and the state of the job system."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, User


def counts_for(user: User) -> list[dict]:
    """Cards of the dashboard, each ``{"label", "value", "url_endpoint"}``; later areas add theirs."""
    from app.services import endpoints
    cards = [{
        "label": "Models",
        "value": db.session.scalar(sa.select(sa.func.count()).select_from(endpoints.live_query(user).subquery())),
        "endpoint": "models.index",
    }, {
        "label": "API tokens",
        "value": db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)
                                   .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))),
        "endpoint": "auth.profile",
    }]
    if user.is_admin:
        cards.append({"label": "Users",
                      "value": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
                      "endpoint": "admin.users"})
    return cards
