"""Writing audit events, and naming the objects they refer to for the audit log."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import has_request_context, request, url_for
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ApiToken, AuditEvent, Conversation, Dataset, EvalRun, ModelEndpoint, PerfRun, User
from app.services import ownership


def record(action: str, actor: User | None = None, *, subject: str | None = None, target=None,
           detail: str | None = None) -> AuditEvent:
    """Add an ``AuditEvent`` to the session (the caller commits with the change it describes)."""
    if hasattr(target, "_get_current_object"):  # ``current_user``: record the user, not the proxy
        target = target._get_current_object()
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


@dataclass(frozen=True)
class AuditObject:
    """What an event's object is, for a reader: its kind, its name, and a link when the viewer may open it."""

    kind: str
    name: str
    url: str | None = None


def _user(obj: User, viewer: User) -> tuple[str, str | None]:
    return obj.username, url_for("admin.users") if viewer.is_admin else None


def _token(obj: ApiToken, viewer: User) -> tuple[str, str | None]:
    return obj.name, url_for("auth.profile") if obj.user_id == viewer.id else None


def _model(obj: ModelEndpoint, viewer: User) -> tuple[str, str | None]:
    usable = obj.deleted_at is None and ownership.can_edit(obj, viewer)
    return obj.name, url_for("models.edit", endpoint_id=obj.id) if usable else None


def _dataset(obj: Dataset, viewer: User) -> tuple[str, str | None]:
    seen = obj.deleted_at is None and obj.owner_id in (None, viewer.id)
    return obj.name, url_for("datasets.detail", dataset_id=obj.id) if seen else None


def _eval(obj: EvalRun, viewer: User) -> tuple[str, str | None]:
    return f"#{obj.id} {obj.endpoint_name}", url_for("evals.show", run_id=obj.id) if obj.owner_id == viewer.id else None


def _perf(obj: PerfRun, viewer: User) -> tuple[str, str | None]:
    return f"#{obj.id} {obj.endpoint_name}", url_for("perf.show", run_id=obj.id) if obj.owner_id == viewer.id else None


def _chat(obj: Conversation, viewer: User) -> tuple[str, str | None]:
    return obj.display_title, url_for("chat.view", conversation_id=obj.id) if obj.owner_id == viewer.id else None


# target_type as ``record`` writes it -> (model, its kind as readers call it, its name and link for a viewer)
KINDS = {"user": (User, _l("User"), _user), "apitoken": (ApiToken, _l("API token"), _token),
         "modelendpoint": (ModelEndpoint, _l("Model"), _model), "dataset": (Dataset, _l("Dataset"), _dataset),
         "evalrun": (EvalRun, _l("Evaluation"), _eval), "perfrun": (PerfRun, _l("Benchmark"), _perf),
         "conversation": (Conversation, _l("Chat"), _chat)}


def objects(events, viewer: User) -> dict[int, AuditObject]:
    """``{event id: AuditObject}`` for the events that name an object: one query per kind of object; an object
    that no longer exists keeps its kind and number, without a link."""
    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.target_type and e.target_id is not None:
            wanted.setdefault(e.target_type, set()).add(e.target_id)
    found = {}
    for kind, ids in wanted.items():
        if kind in KINDS:
            model, label, describe = KINDS[kind]
            for obj in db.session.scalars(sa.select(model).where(model.id.in_(ids))):
                found[kind, obj.id] = AuditObject(str(label), *describe(obj, viewer))
    out = {}
    for e in events:
        if e.target_type and e.target_id is not None:
            label = KINDS[e.target_type][1] if e.target_type in KINDS else e.target_type
            out[e.id] = found.get((e.target_type, e.target_id)) or AuditObject(str(label), f"#{e.target_id}")
    return out
