"""The Redis connection and the RQ queues of the app.

``REDIS_URL`` names a real Redis. When it is empty (the embedded default), ``app.embedded`` starts a fakeredis
TCP server and fills ``REDIS_URL`` in before anything is enqueued; the connection is made lazily for that reason.
The app names job functions only by their dotted path (``"workers.jobs.ping"``): it never imports ``workers``.
"""
from __future__ import annotations

from typing import Any

import redis
from flask import Flask, current_app
from rq import Queue, Worker


class QueueUnavailable(RuntimeError):
    """Redis cannot be reached, so no job can be submitted or read."""


class RedisQueues:
    """Flask extension: ``queues.connection`` and ``queues.get(name)`` for the current app."""

    def init_app(self, app: Flask) -> None:
        app.extensions["evalhub_queues"] = {"connection": None, "url": None}

    def _state(self) -> dict:
        return current_app.extensions["evalhub_queues"]

    @property
    def connection(self) -> redis.Redis:
        """The Redis connection of the current app (made on first use, remade when ``REDIS_URL`` changes)."""
        state = self._state()
        url = current_app.config["REDIS_URL"]
        if not url:
            raise QueueUnavailable("No Redis is configured and the embedded queue is not running.")
        if state["connection"] is None or state["url"] != url:
            state["connection"] = redis.Redis.from_url(
                url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30)
            state["url"] = url
        return state["connection"]

    def get(self, name: str) -> Queue:
        """One of the named queues (``evals``, ``perf``, ``default``)."""
        if name not in current_app.config["JOB_QUEUES"]:
            raise ValueError(f"unknown queue {name!r}")
        return Queue(name, connection=self.connection)

    def enqueue(self, queue_name: str, func_path: str, *args: Any, **options: Any):
        """Enqueue the job function named by ``func_path`` on ``queue_name``; RQ options pass through."""
        try:
            return self.get(queue_name).enqueue(func_path, *args, **options)
        except redis.exceptions.RedisError as exc:
            raise QueueUnavailable(f"The job queue is unreachable: {exc}") from exc

    def worker_count(self) -> int:
        """How many RQ workers are registered on this Redis."""
        return Worker.count(connection=self.connection)
