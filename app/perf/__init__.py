"""Benchmark pages: history, the new-benchmark form, the live run page with its report, compare, export."""
from flask import Blueprint

bp = Blueprint("perf", __name__)

from app.perf import routes  # noqa: E402,F401
