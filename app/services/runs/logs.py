"""A run's live log: engine lines the worker appends to a Redis list, read by the run page over SSE."""
from __future__ import annotations

import logging

from app.extensions import queues

LOG_KEEP_LINES = 5000
log = logging.getLogger(__name__)


def log_key(run) -> str:
    return f"evalhub:log:{run.__tablename__}:{run.id}"


def append_log(run, lines: list[str]) -> None:
    """Add engine log lines to the run's live log in Redis (the newest LOG_KEEP_LINES are kept)."""
    if not lines:
        return
    try:
        pipe = queues.connection.pipeline()
        key = log_key(run)
        pipe.rpush(key, *[line[:2000] for line in lines])
        pipe.ltrim(key, -LOG_KEEP_LINES, -1)
        pipe.expire(key, 30 * 86400)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - the live log is best-effort; the run goes on (full log in its dir)
        log.warning("live log of %s %s not written: %s", run.__tablename__, run.id, exc)


def read_log(run, start: int = 0) -> tuple[list[str], int]:
    """Log lines from position ``start``; returns them and the next position (for SSE streaming)."""
    try:
        conn = queues.connection
        length = conn.llen(log_key(run))
        start = max(start, length - LOG_KEEP_LINES, 0)
        lines = [b.decode("utf-8", "replace") for b in conn.lrange(log_key(run), start, -1)]
    except Exception:  # noqa: BLE001 - a page must render with Redis down
        return [], start
    return lines, start + len(lines)
