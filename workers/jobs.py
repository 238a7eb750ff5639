"""Job functions. Each runs inside the worker's app context (see workers/cli.py)."""
from __future__ import annotations

import os
import socket

import sqlalchemy as sa
from rq import get_current_job

from app.extensions import db
from app.models import User
from app.models.types import utcnow


def ping(requested_by: str) -> dict:
    """Prove the path web → Redis → worker → database: answer who ran it, where, and what the DB says."""
    job = get_current_job()
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    return {
        "requested_by": requested_by,
        "worker": job.worker_name if job else None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "database_users": users,
        "answered_at": utcnow().isoformat(),
    }
