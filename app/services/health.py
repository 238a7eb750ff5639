"""The health report behind ``GET /health``."""
from __future__ import annotations

from app import database
from app.extensions import queues


def report() -> tuple[dict, bool]:
    """``({"status", "db", "redis", "workers"}, healthy)``: healthy needs the database and Redis up."""
    db_ok, db_msg = database.ping()
    try:
        queues.connection.ping()
        redis_ok, redis_msg = True, "ok"
        workers = queues.worker_count()
    except Exception as exc:  # any connection failure is "down" here
        redis_ok, redis_msg, workers = False, f"{type(exc).__name__}: {exc}"[:300], 0
    healthy = db_ok and redis_ok
    return {"status": "ok" if healthy else "error", "db": db_msg, "redis": redis_msg, "workers": workers}, healthy
