"""Administration: users and the audit log. Every view answers 403 to non-admins."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import routes  # noqa: E402,F401
