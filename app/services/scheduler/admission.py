"""Which runs use an endpoint, and the benchmark's exclusive hold.

A run joins each endpoint it uses (a member ``u<user>|<run ref>`` of ``runs``, a sorted set scored by expiry, renewed
while it runs) before its engine starts; a benchmark takes the endpoint whole (``exclusive``, ``SET NX EX``). Both
sides write first and look second (a run joins, then checks for a benchmark; a benchmark takes the hold, then looks
for runs and busy slots), so Redis's single order means they never both go ahead. A benchmark holding the endpoint
lets the runs already there finish (it *drains*) and takes no new ones; it measures once none is left.
"""
from __future__ import annotations

import time

import redis

from app.services.scheduler.leases import holders, key_of, release


def live_runs(conn: redis.Redis, key: str) -> list[str]:
    name = key_of(key, "runs")
    conn.zremrangebyscore(name, 0, time.time())
    return [m.decode() for m in conn.zrange(name, 0, -1)]


def exclusive_holder(conn: redis.Redis, key: str) -> str | None:
    value = conn.get(key_of(key, "exclusive"))
    return value.decode() if value is not None else None


def try_join(conn: redis.Redis, key: str, member: str, lease: int) -> bool:
    """Join the endpoint's runs unless a benchmark holds it; False means wait."""
    if exclusive_holder(conn, key) is not None:
        return False
    conn.zadd(key_of(key, "runs"), {member: time.time() + lease})
    if exclusive_holder(conn, key) is not None:  # a benchmark came in between: step back
        conn.zrem(key_of(key, "runs"), member)
        return False
    return True


def try_take_whole(conn: redis.Redis, key: str, member: str, capacity: int, lease: int) -> str:
    """A benchmark's step: ``"held"`` (measure now), ``"draining"`` (it holds the endpoint; runs still finish) or
    ``"busy"`` (another benchmark holds it)."""
    name = key_of(key, "exclusive")
    if not conn.set(name, member, nx=True, ex=lease):
        if exclusive_holder(conn, key) != member:
            return "busy"
        conn.expire(name, lease)
    if live_runs(conn, key) or holders(conn, key, capacity):
        return "draining"
    return "held"


def renew(conn: redis.Redis, key: str, member: str, lease: int, exclusive: bool) -> None:
    if exclusive:
        if exclusive_holder(conn, key) == member:
            conn.expire(key_of(key, "exclusive"), lease)
    else:
        conn.zadd(key_of(key, "runs"), {member: time.time() + lease}, xx=True)


def leave(conn: redis.Redis, key: str, member: str) -> None:
    conn.zrem(key_of(key, "runs"), member)
    release(conn, key_of(key, "exclusive"), member)
