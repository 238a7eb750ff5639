"""Accuracy evaluations: create, watch live, cancel / resume / re-run / re-judge, reports, samples, human labels,
export, compare."""
from flask import Blueprint

bp = Blueprint("evals", __name__)

from app.evals import judging, routes, stream  # noqa: E402,F401
