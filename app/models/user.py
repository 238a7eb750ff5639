"""Accounts: users and their API tokens."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

ROLES = ("admin", "user")


def new_session_nonce() -> str:
    """A random value mixed into the login session id; changing it signs every session of the user out."""
    return secrets.token_hex(8)


class User(UserMixin, db.Model):
    """A person who signs in. ``role`` is ``admin`` or ``user``; an inactive user cannot sign in."""

    __tablename__ = "user"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(16), default="user")
    active: so.Mapped[bool] = so.mapped_column(default=True)
    locale: so.Mapped[Optional[str]] = so.mapped_column(sa.String(8))
    session_nonce: so.Mapped[str] = so.mapped_column(sa.String(16), default=new_session_nonce)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)

    tokens: so.WriteOnlyMapped["ApiToken"] = so.relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """Session id ``<id>:<nonce>``: a password change rotates the nonce and ends other sessions."""
        return f"{self.id}:{self.session_nonce}"

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Hash and store ``password``; signs out every other session of this user."""
        self.password_hash = generate_password_hash(password, method=method)
        self.session_nonce = new_session_nonce()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(db.Model):
    """A named bearer token of a user for the REST API; only its SHA-256 hash is stored."""

    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(64))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship(back_populates="tokens")

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
