"""Leases on a model endpoint's capacity, in Redis: one key per slot, taken with ``SET NX EX``.

An endpoint (``base_url`` + model name, hashed by ``endpoint_key``) has ``capacity`` slots, keys
``evalhub:sched:<key>:slot:<i>``. A run holds some of them as a batch (``take``; see pool.py) and hands them to its
own requests locally, so the per-request path asks Redis nothing. ``SET NX`` makes the cap exact across every
worker machine; the expiry (renewed while held) gives a dead worker's slots back within the lease time. No Lua (the
embedded fakeredis queue has none): each step is one atomic command, and releasing is a compare-and-delete under
WATCH.

Fair between users: while other runs want more (the ``waiting`` set), each run's ``share`` is an even part of what
the runs that want no more leave, split between users first, then between each user's runs; a run above its share
gives slots back as its requests end. With nobody else waiting a run may take every free slot (none left idle).
"""
from __future__ import annotations

import hashlib
import random
import secrets
import time

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


def run_of(member: bytes | str) -> str:
    """``u<user>|<run ref>`` of a holder or waiter string ``u<user>|<run ref>|...``."""
    text = member.decode() if isinstance(member, bytes) else member
    return "|".join(text.split("|", 2)[:2])


def waiting_count(member: str) -> int:
    """How many requests a waiter ``u<user>|<run ref>|w<n>`` stands for."""
    last = member.rsplit("|", 1)[-1]
    return int(last[1:]) if last[:1] == "w" and last[1:].isdigit() else 1


def live_waiters(conn: redis.Redis, key: str) -> list[str]:
    """Members of the endpoint's waiting set whose registration has not expired."""
    name = key_of(key, "waiting")
    conn.zremrangebyscore(name, 0, time.time())
    return [m.decode() for m in conn.zrange(name, 0, -1)]


def _split(total: int, ways: int, rank: int) -> int:
    """Part ``rank`` of ``total`` split as evenly as whole numbers go (the first parts take the remainder)."""
    return total // ways + (1 if rank < total % ways else 0)


def share(capacity: int, me: str, waiters: list[str], held: list[str]) -> int:
    """How many slots the run ``me`` (``u<user>|<run ref>``) may hold now. Alone in wanting more, the whole capacity
    (none left idle). Else what the runs that want no more hold stays theirs, and the rest is split evenly between
    the users who want more (``me`` included), then between each user's runs: a user with ten runs does not starve
    a user with one."""
    wanting = {run_of(m) for m in waiters} | {me}
    if wanting == {me}:
        return capacity
    left = capacity - sum(1 for value in held if run_of(value) not in wanting)
    users = sorted({user_of(r) for r in wanting})
    mine = sorted(r for r in wanting if user_of(r) == user_of(me))
    return _split(_split(max(0, left), len(users), users.index(user_of(me))), len(mine), mine.index(me))


def take(conn: redis.Redis, key: str, capacity: int, me: str, lease: int, want: int) -> tuple[list, int]:
    """Take up to ``want`` free slots for the run ``me`` within its share, each as ``(slot key, holder string)``;
    also returns the share. One round trip to look (waiters and holders together), one ``SET NX EX`` per slot."""
    names = slot_keys(key, capacity)
    pipe = conn.pipeline(transaction=False)
    pipe.zremrangebyscore(key_of(key, "waiting"), 0, time.time())
    pipe.zrange(key_of(key, "waiting"), 0, -1)
    pipe.mget(names)
    _gone, waiters, values = pipe.execute()
    held = [v.decode() for v in values if v is not None]
    allowed = share(capacity, me, [w.decode() for w in waiters], held)
    room = min(want, allowed - sum(1 for v in held if run_of(v) == me))
    free = [name for name, value in zip(names, values) if value is None]
    random.shuffle(free)
    taken = []
    for name in free:
        if len(taken) >= room:
            break
        who = f"{me}|{secrets.token_hex(6)}"
        if conn.set(name, who, nx=True, ex=lease):
            taken.append((name, who))
    return taken, allowed


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


def touch(conn: redis.Redis, key: str, count: int = 1) -> None:
    """Count requests sent to the endpoint by anything (chat, checks, evaluations): a benchmark compares the
    count before and after its measurement."""
    name = key_of(key, "touch")
    conn.pipeline(transaction=False).incrby(name, count).expire(name, 30 * 86400).execute()


def touches(conn: redis.Redis, key: str) -> int:
    return int(conn.get(key_of(key, "touch")) or 0)
