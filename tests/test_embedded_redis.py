"""The embedded Redis behaves like Redis where the workers rely on it."""
from __future__ import annotations

import time

import redis

from app.embedded_redis import start_embedded_redis, stop_embedded_redis


def test_a_job_pushed_after_a_blocked_worker_went_away_is_not_lost():
    server, url = start_embedded_redis()
    try:
        gone = redis.Redis.from_url(url, socket_timeout=0.5)
        try:  # a worker waiting in BLPOP (RQ waits up to 405 s) is stopped
            gone.blpop(["rq:queue:evals"], timeout=100)
        except redis.exceptions.TimeoutError:
            pass
        gone.connection_pool.disconnect()
        time.sleep(3.0)  # the watcher sees the closed connection within 0.2 s (a wide margin on a loaded machine)
        live = redis.Redis.from_url(url)
        live.rpush("rq:queue:evals", "job-1")
        time.sleep(0.3)
        assert live.lrange("rq:queue:evals", 0, -1) == [b"job-1"]  # still there for a live worker
        live.close()
    finally:
        stop_embedded_redis(server)
