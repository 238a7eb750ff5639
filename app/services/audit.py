"""Writing audit events."""
from __future__ import annotations

from flask import has_request_context, request

from app.extensions import db
from app.models import AuditEvent, User


def record(action: str, actor: User | None = None, *, subject: str | None = None, target=None,
           detail: str | None = None) -> AuditEvent:
    """Add an ``AuditEvent`` to the session (the caller commits with the change it describes)."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        subject=(subject or (actor.username if actor is not None else None)),
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        detail=(detail or None) and detail[:500],
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
