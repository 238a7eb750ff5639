"""Audit trail: who did what, on which object, when."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User


class AuditEvent(db.Model):
    """One security-relevant action. ``subject`` is the username a login attempt named (also for failures)."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_action_subject_created", "action", "subject", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(64))
    subject: so.Mapped[Optional[str]] = so.mapped_column(sa.String(128))
    target_type: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    target_id: so.Mapped[Optional[int]] = so.mapped_column()
    detail: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    ip: so.Mapped[Optional[str]] = so.mapped_column(sa.String(45))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: so.Mapped[Optional["User"]] = so.relationship()
