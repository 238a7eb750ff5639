"""Leases on a model endpoint's capacity, in Redis: one key per slot, taken with ``SET NX EX``.

An endpoint (``base_url`` + model name, hashed by ``endpoint_key``) has ``capacity`` slots, keys
``evalhub:sched:<key>:slot:<i>``; a request holds one while it is at the server. ``SET NX`` makes the cap exact
across every worker machine; the expiry (renewed while the request runs) gives a dead worker's slots back within
the lease time. No Lua (the embedded fakeredis queue has none): each step is one atomic command, and releasing is a
compare-and-delete under WATCH.

Fair between users: while another user waits, a user takes a free slot only below an equal share of the capacity
(``capacity / users``, rounded up), so a user with ten runs does not starve a user with one; with nobody else waiting, anyone
takes any free slot (no capacity is left idle).
"""
from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import Counter

import redis

PREFIX = "evalhub:sched:"


def endpoint_key(base_url: str, model_name: str) -> str:
    """The one identity of an endpoint across users: its base URL (case and trailing slash aside) + model name."""
    return hashlib.sha1(f"{base_url.rstrip('/').lower()}|{model_name}".encode()).hexdigest()


def key_of(key: str, part: str) -> str:
    return f"{PREFIX}{key}:{part}"


def slot_keys(key: str, capacity: int) -> list[str]:
    return [key_of(key, f"slot:{i}") for i in range(capacity)]


def user_of(member: bytes | str) -> str:
    """Holder strings are ``u<user id>|<run ref>|...``: the user part."""
    text = member.decode() if isinstance(member, bytes) else member
    return text.split("|", 1)[0]


def live_waiters(conn: redis.Redis, key: str) -> list[str]:
    """Members of the endpoint's waiting set whose registration has not expired."""
    name = key_of(key, "waiting")
    conn.zremrangebyscore(name, 0, time.time())
    return [m.decode() for m in conn.zrange(name, 0, -1)]


def _fair(conn: redis.Redis, key: str, capacity: int, user: str, held: list) -> bool:
    others = {user_of(m) for m in live_waiters(conn, key)} - {user}
    if not others:
        return True
    holdings = Counter(user_of(v) for v in held if v is not None)
    users = others | set(holdings) | {user}
    return holdings[user] < -(-capacity // len(users))  # an equal share, rounded up: no slot left idle


def try_acquire(conn: redis.Redis, key: str, capacity: int, who: str, lease: int) -> str | None:
    """Take a free slot for ``who`` (``u<user>|<run ref>|<token>``) if fairness allows; returns its key or None."""
    names = slot_keys(key, capacity)
    held = conn.mget(names)
    free = [name for name, value in zip(names, held) if value is None]
    if not free or not _fair(conn, key, capacity, user_of(who), held):
        return None
    random.shuffle(free)
    for name in free:
        if conn.set(name, who, nx=True, ex=lease):
            return name
    return None


def acquire(conn: redis.Redis, key: str, capacity: int, who: str, lease: int, stop: threading.Event,
            poll=lambda: 0.03) -> str | None:
    """Wait for a slot (registered as waiting meanwhile), trying every ``poll()`` seconds (jittered); None when
    ``stop`` is set first."""
    waiting, registered = key_of(key, "waiting"), 0.0
    try:
        while not stop.is_set():
            slot = try_acquire(conn, key, capacity, who, lease)
            if slot is not None:
                return slot
            now = time.time()
            if now - registered > 1.0:
                conn.zadd(waiting, {who: now + lease})
                registered = now
            stop.wait(poll() * (0.5 + random.random()))
        return None
    finally:
        if registered:
            conn.zrem(waiting, who)


def renew(conn: redis.Redis, name: str, who: str, lease: int) -> None:
    """Extend a held lease (a key that another holder took after it expired is left alone)."""
    if conn.get(name) == who.encode():
        conn.expire(name, lease)


def release(conn: redis.Redis, name: str, who: str) -> None:
    """Delete ``name`` only while ``who`` holds it (compare-and-delete under WATCH)."""
    with conn.pipeline() as pipe:
        try:
            pipe.watch(name)
            if pipe.get(name) == who.encode():
                pipe.multi()
                pipe.delete(name)
                pipe.execute()
            else:
                pipe.unwatch()
        except redis.WatchError:
            pass


def holders(conn: redis.Redis, key: str, capacity: int) -> list[str]:
    """Who holds each busy slot (up to ``capacity``)."""
    return [v.decode() for v in conn.mget(slot_keys(key, capacity)) if v is not None]


def touch(conn: redis.Redis, key: str) -> None:
    """Count one request sent to the endpoint by anything (chat, checks, evaluations): a benchmark compares the
    count before and after its measurement."""
    name = key_of(key, "touch")
    conn.pipeline(transaction=False).incr(name).expire(name, 30 * 86400).execute()


def touches(conn: redis.Redis, key: str) -> int:
    return int(conn.get(key_of(key, "touch")) or 0)
