"""Dataset registry pages (list, upload, detail with preview, row editing, export) and the ``flask datasets`` CLI."""
from flask import Blueprint

bp = Blueprint("datasets", __name__, cli_group="datasets")

from app.datasets import cli, routes  # noqa: E402,F401
