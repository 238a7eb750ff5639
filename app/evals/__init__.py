"""Accuracy evaluations: create, watch live, cancel / resume / re-run, reports, samples, export, compare."""
from flask import Blueprint

bp = Blueprint("evals", __name__)

from app.evals import routes, stream  # noqa: E402,F401
