"""The REST API, v1: bearer-token auth, JSON errors ``{"error": {"code", "message", "fields"}}``, OpenAPI."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # the API authenticates with bearer tokens, never with the session cookie

from app.api import auth, errors, routes  # noqa: E402,F401
from app.api import models as _models_api  # noqa: E402,F401
from app.api import datasets as _datasets_api  # noqa: E402,F401
from app.api import chat as _chat_api  # noqa: E402,F401
from app.api import arena as _arena_api  # noqa: E402,F401
from app.api import evals as _evals_api  # noqa: E402,F401
from app.api import leaderboards as _leaderboards_api  # noqa: E402,F401
from app.api import evals_judging as _evals_judging_api  # noqa: E402,F401
from app.api import perf as _perf_api  # noqa: E402,F401
from app.api import admin_runs as _admin_runs_api  # noqa: E402,F401
