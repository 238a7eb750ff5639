"""Model registry: validation, create / update / delete, lookups scoped to the user, JSON views.

Forms and the REST API both hand raw values to ``validate``: it is the one place the rules live.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ModelEndpoint, User
from app.models.types import utcnow
from app.services import audit, crypto, ownership
from app.services.endpoint_client import RESERVED_BODY_KEYS
from app.services.outbound import OutboundRefused, check_destination, validate_base_url
from app.services.validation import number

FIELDS = ("name", "base_url", "model_name", "api_key", "temperature", "max_tokens", "top_p", "extra_body",
          "max_concurrency", "judge", "notes", "price_input_per_m", "price_output_per_m")
PRICES = ("price_input_per_m", "price_output_per_m")
MAX_PRICE = 1_000_000  # per million tokens
KEEP = object()  # "leave the API key as it is"


class EndpointInvalid(ValueError):
    """Bad input; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def live_query(user: User) -> sa.Select:
    """Models ``user`` may use: system ones and their own, not deleted; system first, then by name."""
    return ownership.visible_query(ModelEndpoint, user).order_by(ModelEndpoint.owner_id.is_not(None),
                                                                  ModelEndpoint.name)


def search(user: User, q: str = "") -> sa.Select:
    query = live_query(user)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(sa.or_(ModelEndpoint.name.ilike(like), ModelEndpoint.model_name.ilike(like)))
    return query


def get_visible(user: User, endpoint_id: int) -> ModelEndpoint:
    """A live model ``user`` may use, else 404."""
    return ownership.get_visible_or_404(ModelEndpoint, endpoint_id, user)


def get_editable(user: User, endpoint_id: int) -> ModelEndpoint:
    """A live model ``user`` may change: 404 when not visible, 403 for a system model and a non-admin."""
    return ownership.get_editable_or_404(ModelEndpoint, endpoint_id, user)


def _extra_body(raw: Any, errors: dict) -> dict | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == {}:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            errors["extra_body"] = str(_l("Not valid JSON: %(error)s", error=str(exc)))
            return None
    if not isinstance(raw, dict):
        errors["extra_body"] = str(_l("Must be a JSON object, e.g. {\"top_k\": 20}."))
        return None
    reserved = sorted(RESERVED_BODY_KEYS & raw.keys())
    if reserved:
        errors["extra_body"] = str(_l("These keys are set by EvalHub itself: %(keys)s", keys=", ".join(reserved)))
        return None
    return raw


def validate(data: dict, owner_id: int | None, current: ModelEndpoint | None = None) -> dict:
    """Clean values from ``data`` (only the keys present when updating); raises ``EndpointInvalid``."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    creating = current is None

    def present(key):
        return creating or key in data

    if present("name"):
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = str(_l("A name is required."))
        elif len(name) > 128:
            errors["name"] = str(_l("At most 128 characters."))
        else:
            clash = sa.select(ModelEndpoint.id).where(
                ModelEndpoint.name == name, ModelEndpoint.deleted_at.is_(None),
                ModelEndpoint.owner_id.is_(None) if owner_id is None else ModelEndpoint.owner_id == owner_id)
            if current is not None:
                clash = clash.where(ModelEndpoint.id != current.id)
            if db.session.scalar(clash) is not None:
                errors["name"] = str(_l("You already have a model named %(name)s.", name=name))
            clean["name"] = name
    if present("base_url"):
        try:
            clean["base_url"] = validate_base_url(str(data.get("base_url") or ""))
            if len(clean["base_url"]) > 512:
                raise OutboundRefused(_l("At most 512 characters."))
            check_destination(clean["base_url"])
        except OutboundRefused as exc:
            errors["base_url"] = str(exc)
    if present("model_name"):
        model_name = str(data.get("model_name") or "").strip()
        if not model_name:
            errors["model_name"] = str(_l("The model name the API knows is required, e.g. gpt-4o-mini."))
        elif len(model_name) > 191:
            errors["model_name"] = str(_l("At most 191 characters."))
        clean["model_name"] = model_name
    if "api_key" in data and data["api_key"] is not KEEP:
        key = data["api_key"]
        if key is not None and not isinstance(key, str):
            errors["api_key"] = str(_l("Must be a string."))
        else:
            clean["api_key"] = (key or "").strip() or None
    for field, kind, low, high in (("temperature", float, 0.0, 2.0), ("top_p", float, 0.0, 1.0),
                                   ("max_tokens", int, 1, 1_000_000), ("max_concurrency", int, 1, 512)):
        if field in data:
            clean[field] = number(data.get(field), kind, low, high, field, errors)
    for field in PRICES:
        if field in data:
            price = number(data.get(field), float, 0.0, MAX_PRICE, field, errors)
            clean[field] = None if price is None else round(price, 6)
    if creating or "max_concurrency" in data:
        clean["max_concurrency"] = clean.get("max_concurrency") or 4
    if "extra_body" in data:
        clean["extra_body"] = _extra_body(data.get("extra_body"), errors)
    if "judge" in data:
        clean["judge"] = bool(data.get("judge"))
    if "notes" in data:
        clean["notes"] = (str(data.get("notes") or "").strip() or None)
    if errors:
        raise EndpointInvalid(errors)
    return clean


def _apply(endpoint: ModelEndpoint, clean: dict) -> None:
    for key, value in clean.items():
        if key == "api_key":
            endpoint.api_key_encrypted = crypto.encrypt(value) if value else None
            endpoint.api_key_last4 = value[-4:] if value else None
        else:
            setattr(endpoint, key, value)


def create(actor: User, data: dict, system: bool = False) -> ModelEndpoint:
    """Register a model for ``actor`` (or a system model, for an admin)."""
    owner_id = None if system else actor.id
    clean = validate(data, owner_id)
    endpoint = ModelEndpoint(owner_id=owner_id)
    _apply(endpoint, clean)
    db.session.add(endpoint)
    db.session.flush()
    audit.record("model.create", actor, target=endpoint, detail=endpoint.name)
    db.session.commit()
    return endpoint


def update(endpoint: ModelEndpoint, data: dict, actor: User) -> ModelEndpoint:
    """Change the fields present in ``data``; an absent or ``KEEP`` api_key leaves the key as it is."""
    clean = validate(data, endpoint.owner_id, current=endpoint)
    _apply(endpoint, clean)
    audit.record("model.update", actor, target=endpoint, detail=endpoint.name)
    db.session.commit()
    return endpoint


def delete(endpoint: ModelEndpoint, actor: User) -> None:
    """Remove a model from use; its row (and name) stays for the history that refers to it; its key is wiped."""
    endpoint.deleted_at = utcnow()
    endpoint.api_key_encrypted = None
    endpoint.api_key_last4 = None
    audit.record("model.delete", actor, target=endpoint, detail=endpoint.name)
    db.session.commit()


def to_json(endpoint: ModelEndpoint) -> dict:
    """The API view of a model. The key itself never leaves the server; only whether one is set."""
    return {
        "id": endpoint.id, "name": endpoint.name, "system": endpoint.is_system,
        "base_url": endpoint.base_url, "model_name": endpoint.model_name,
        "api_key_set": endpoint.has_api_key,
        "temperature": endpoint.temperature, "max_tokens": endpoint.max_tokens, "top_p": endpoint.top_p,
        "extra_body": endpoint.extra_body, "max_concurrency": endpoint.max_concurrency, "judge": endpoint.judge,
        "notes": endpoint.notes,
        "price_input_per_m": endpoint.price_input_per_m, "price_output_per_m": endpoint.price_output_per_m,
        "last_check": None if endpoint.checked_at is None else {
            "status": endpoint.check_status, "message": endpoint.check_message,
            "ttft_ms": endpoint.check_ttft_ms, "latency_ms": endpoint.check_latency_ms,
            "model_listed": endpoint.check_model_listed, "checked_at": endpoint.checked_at.isoformat()},
        "created_at": endpoint.created_at.isoformat(),
    }
