"""Leaderboards: per dataset, which model scores best, with 95% intervals and ranks that tie within noise."""
from flask import Blueprint

bp = Blueprint("leaderboards", __name__)

from app.leaderboards import routes  # noqa: E402,F401
