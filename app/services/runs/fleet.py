"""What the live workers can run: each worker publishes its engines (with versions) and queues to Redis with a
TTL; the web offers an engine when some live worker has it and routes a job to a queue such workers serve.
Nothing on the web machine decides what a worker can do."""
from __future__ import annotations

import json
import os
import socket
import time

from flask import current_app

from app.extensions import queues

PREFIX = "evalhub:worker:"


def ttl() -> int:
    """Seconds a worker's record lives without a refresh (three maintenance periods)."""
    return 3 * current_app.config["MAINTENANCE_SECONDS"]


def publish(name: str, engines: dict[str, str | None], queue_names: list[str]) -> None:
    """Record (or refresh) worker ``name``: ``engines`` maps each engine it can run to its version."""
    record = {"name": name, "host": socket.gethostname(), "pid": os.getpid(), "engines": engines,
              "queues": queue_names, "seen": time.time()}
    queues.connection.set(PREFIX + name, json.dumps(record), ex=ttl())


def withdraw(name: str) -> None:
    queues.connection.delete(PREFIX + name)


def live() -> list[dict]:
    """The records of the workers alive now (empty when Redis is down)."""
    try:
        conn = queues.connection
        keys = list(conn.scan_iter(match=PREFIX + "*", count=200))
        values = conn.mget(keys) if keys else []
    except Exception:  # noqa: BLE001 - a page must render with Redis down
        return []
    return [json.loads(v) for v in values if v]


def engine_version(engine: str) -> str | None:
    """The version of ``engine`` some live worker has, or None when none has it."""
    for record in live():
        if engine in record.get("engines", {}):
            return record["engines"][engine] or "?"
    return None
