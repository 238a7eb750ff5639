"""Model registry pages (the blueprint is named ``models``; ``app.models`` is the ORM package)."""
from flask import Blueprint

bp = Blueprint("models", __name__)

from app.endpoints import routes  # noqa: E402,F401
