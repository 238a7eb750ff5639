"""The health report behind ``GET /health``: answered within seconds even when a service hangs."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import current_app

from app import database
from app.extensions import queues
from app.services.runs import fleet

PING_SECONDS = 5.0
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")


def _db_ping(app) -> tuple[bool, str]:
    with app.app_context():
        return database.ping()


def report() -> tuple[dict, bool]:
    """``({"status", "db", "redis", "workers", "engines"}, healthy)``: healthy needs the database and Redis up.
    ``workers`` counts the workers that published themselves within their TTL (RQ's own registry forgets live
    workers when Redis restarts)."""
    future = _pool.submit(_db_ping, current_app._get_current_object())
    try:
        db_ok, db_msg = future.result(timeout=PING_SECONDS)
    except FutureTimeout:
        db_ok, db_msg = False, f"no answer within {PING_SECONDS:.0f} s"
    try:
        queues.connection.ping()
        redis_ok, redis_msg = True, "ok"
        live = fleet.live()
    except Exception as exc:  # any connection failure is "down" here
        redis_ok, redis_msg, live = False, f"{type(exc).__name__}: {exc}"[:300], []
    engines = sorted({name for w in live for name in w.get("engines", {})})
    healthy = db_ok and redis_ok
    return {"status": "ok" if healthy else "error", "db": db_msg, "redis": redis_msg, "workers": len(live),
            "engines": engines}, healthy
