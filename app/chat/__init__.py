"""Side-by-side chat pages: up to three models answering the same message, streamed over SSE, with history."""
from flask import Blueprint

bp = Blueprint("chat", __name__)

from app.chat import routes  # noqa: E402,F401
