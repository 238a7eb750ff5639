"""Sign-in, sign-out, the profile page (password, API tokens) and the language switch."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401
