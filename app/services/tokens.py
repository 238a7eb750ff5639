"""API tokens: created once (the plain value is shown once), stored as a SHA-256 hash, revocable."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import ApiToken, User
from app.models.types import utcnow
from app.services import audit

TOKEN_PREFIX = "ehk_"
#: ``last_used_at`` is stamped at most this often: a write on every API call would cost each call a commit.
STAMP_EVERY = timedelta(minutes=1)


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token named ``name`` for ``user``; returns the row and the plain value (never stored)."""
    name = name.strip()[:64]
    if not name:
        raise ValueError("A token needs a name.")
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(value), prefix=value[:10])
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", user, target=token, detail=name)
    db.session.commit()
    return token, value


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())))


def revoke_token(user: User, token_id: int) -> ApiToken | None:
    """Revoke one of ``user``'s tokens; ``None`` when ``token_id`` is not theirs."""
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoke", user, target=token, detail=token.name)
        db.session.commit()
    return token


def revoke_all(user: User, actor: User) -> int:
    """Revoke every live token of ``user`` (a password change or reset); the caller commits. Returns how many."""
    live = list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id,
                                                             ApiToken.revoked_at.is_(None))))
    for token in live:
        token.revoked_at = utcnow()
    if live:
        audit.record("token.revoke_all", actor, target=user, detail=f"{user.username}: {len(live)} token(s)")
    return len(live)


def user_for_token(value: str) -> User | None:
    """The active user owning the live token ``value``, stamping its last use (to the minute); else ``None``."""
    if not value.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(sa.select(ApiToken).options(so.joinedload(ApiToken.user))
                              .where(ApiToken.token_hash == hash_token(value)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or token.last_used_at <= now - STAMP_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token.user
