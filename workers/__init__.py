"""The RQ side of EvalHub: job functions (``workers.jobs``) and the ``flask worker`` command.

``workers`` imports ``app``; the app names jobs only by dotted path, so web processes never import this package.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register ``flask --app run worker``."""
    from workers.cli import worker_command

    app.cli.add_command(worker_command)
