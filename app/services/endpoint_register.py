"""Models named by an API body (EvalScope's ``model`` + URL + key): the caller's own matching model, or a new
one registered for them. The one register-or-match rule of every API that accepts such a body (perf, eval)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.extensions import db
from app.models import ModelEndpoint, User
from app.services import endpoints
from app.services.endpoint_client import api_key_of
from app.services.outbound import validate_base_url


def api_base(url) -> str:
    """The base URL of an OpenAI-compatible API from ``.../v1`` or ``.../v1/chat/completions``; raises
    ``OutboundRefused`` for what is not an http(s) URL."""
    return validate_base_url(re.sub(r"/(chat/)?completions$", "", str(url or "").strip().rstrip("/")))


def register_or_match(user: User, base_url: str, model: str, api_key: str | None) -> ModelEndpoint:
    """``user``'s own live model at ``base_url`` serving ``model`` with that key (any key when none is given);
    else a new model of ``user``'s, registered from them. Only the caller's own models are compared: a system
    model's key is never compared, so the answer never tells whether a guessed key is right. Raises
    ``endpoints.EndpointInvalid``."""
    own = db.session.scalars(sa.select(ModelEndpoint).where(
        ModelEndpoint.owner_id == user.id, ModelEndpoint.deleted_at.is_(None), ModelEndpoint.base_url == base_url,
        ModelEndpoint.model_name == model).order_by(ModelEndpoint.id)).all()
    for endpoint in own:
        if not api_key or api_key_of(endpoint) == api_key:
            return endpoint
    name = f"{model} @ {urlsplit(base_url).netloc}"[:120]
    taken = set(db.session.scalars(sa.select(ModelEndpoint.name).where(ModelEndpoint.owner_id == user.id,
                                                                       ModelEndpoint.deleted_at.is_(None))))
    n = 1
    while (name if n == 1 else f"{name} ({n})") in taken:
        n += 1
    return endpoints.create(user, {"name": name if n == 1 else f"{name} ({n})", "base_url": base_url,
                                   "model_name": model, "api_key": api_key or None})
