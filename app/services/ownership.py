"""The one place that scopes user data: system objects (no owner) and the user's own.

Every query of user-owned rows goes through these helpers. A row the user may not see answers 404 (never 403 with
details); a visible row the user may not change (a system object, for a non-admin) answers 403.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from app.extensions import db
from app.models import User


def visible_filter(model, user: User | sa.BindParameter):
    """Rows ``user`` may read: system rows (``owner_id`` NULL) and their own; never soft-deleted ones. ``user`` may
    be a bound parameter of the user's id, for a statement built once and run with that parameter."""
    user_id = user if isinstance(user, sa.BindParameter) else user.id
    condition = sa.or_(model.owner_id.is_(None), model.owner_id == user_id)
    if hasattr(model, "deleted_at"):
        condition = sa.and_(condition, model.deleted_at.is_(None))
    return condition


def visible_query(model, user: User) -> sa.Select:
    return sa.select(model).where(visible_filter(model, user))


def can_edit(obj, user: User) -> bool:
    """Owners edit their rows; admins edit system rows."""
    return obj.owner_id == user.id or (obj.owner_id is None and user.is_admin)


def get_visible_or_404(model, obj_id: int, user: User):
    obj = db.session.scalar(visible_query(model, user).where(model.id == obj_id))
    if obj is None:
        abort(404)
    return obj


def get_editable_or_404(model, obj_id: int, user: User):
    """The row if ``user`` may change it; 404 if they cannot see it, 403 if they can only read it."""
    obj = get_visible_or_404(model, obj_id, user)
    if not can_edit(obj, user):
        abort(403)
    return obj
