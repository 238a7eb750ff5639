"""A run's batch lease on one endpoint: the slots it holds in Redis, handed to its own requests in this process.

The proxy's request threads ``take`` a slot and ``give`` it back; a slot given back goes straight to the next
waiting request of the same run (no Redis round trip, no poll). Only the pool's keeper thread talks to Redis: while
requests wait it takes more slots, up to the run's share (``leases.share``), and registers the run as waiting with
how many requests; it gives back slots idle for a while, and slots above the share when other runs want more (a
request's slot goes back as it ends); it adds the requests sent to the endpoint's touch count in bulk.
"""
from __future__ import annotations

import threading
import time

import redis

from app.services.scheduler import leases

IDLE_SECONDS = 0.25  # a slot nobody of the run asked for this long goes back to the endpoint
FAST_POLL = 0.02  # requests wait and the run is below its share: slots others give back are seen this soon
CALM_POLL = 0.1  # otherwise: how soon a share that changed (another run came or left) is seen


class Pool:
    """The slots one run holds on one endpoint."""

    def __init__(self, conn: redis.Redis, key: str, capacity: int, me: str, lease: int):
        self.conn, self.key, self.capacity, self.me, self.lease = conn, key, capacity, me, lease
        self.cond = threading.Condition()
        self.need = threading.Event()  # a request waits with no free slot: wake the keeper
        self.free: list[tuple[str, str, float]] = []  # (slot key, holder string, free since)
        self.busy: dict[str, str] = {}
        self.wanting = 0  # requests of the run waiting in ``take``
        self.allowed = capacity
        self.sent = 0  # requests sent since the keeper last counted them
        self.closed = False
        self.registered: str | None = None  # this run's member of the waiting set
        self.registered_at = 0.0
        self.thread = threading.Thread(target=self._keep, name="evalhub-slot-pool", daemon=True)
        self.thread.start()

    # -- the request threads ------------------------------------------------------------------------------------
    def take(self) -> tuple[str, str] | None:
        """A slot for one request, waiting as long as it takes; None when the run is stopping."""
        with self.cond:
            self.wanting += 1
            try:
                while not self.free and not self.closed:
                    self.need.set()
                    self.cond.wait()
                if self.closed:
                    return None
                name, who, _since = self.free.pop()
                self.busy[name] = who
                return name, who
            finally:
                self.wanting -= 1

    def give(self, slot: tuple[str, str]) -> None:
        """The request ended: its slot serves the run's next request, or goes back when the run is above its share."""
        name, who = slot
        with self.cond:
            self.busy.pop(name, None)
            self.sent += 1
            back = self.closed or len(self.free) + len(self.busy) + 1 > self.allowed
            if not back:
                self.free.append((name, who, time.monotonic()))
                self.cond.notify()
        if back:
            self._release([(name, who)])

    # -- the keeper ---------------------------------------------------------------------------------------------
    def _keep(self) -> None:
        while not self.closed:
            try:
                pause = self._round()
            except Exception:  # noqa: BLE001 - Redis away for a moment: the held slots stay, try again
                pause = CALM_POLL * 5
            self.need.wait(pause)
            self.need.clear()

    def _round(self) -> float:
        now = time.monotonic()
        with self.cond:
            short = self.wanting - len(self.free)
            idle = [s for s in self.free if now - s[2] > IDLE_SECONDS] if not self.wanting else []
            for s in idle:
                self.free.remove(s)
            sent, self.sent = self.sent, 0
        self._release([(name, who) for name, who, _since in idle])
        if sent:
            leases.touch(self.conn, self.key, sent)
        self._register(max(0, short))
        taken, allowed = leases.take(self.conn, self.key, self.capacity, self.me, self.lease, max(0, short))
        with self.cond:
            self.allowed = allowed
            self.free += [(name, who, now) for name, who in taken]
            self.cond.notify(len(taken))
            over = max(0, len(self.free) + len(self.busy) - allowed)
            extra = [self.free.pop() for _ in range(min(over, len(self.free)))]
            held = len(self.free) + len(self.busy)
        self._release([(name, who) for name, who, _since in extra])
        return FAST_POLL if short > len(taken) and held < allowed else CALM_POLL

    def _register(self, short: int) -> None:
        """Be in the endpoint's waiting set while requests wait (``<me>|w<how many>``), out of it otherwise."""
        member = f"{self.me}|w{short}" if short else None
        now = time.monotonic()
        if member == self.registered and (member is None or now - self.registered_at < self.lease / 3):
            return
        pipe = self.conn.pipeline(transaction=False)
        if self.registered and self.registered != member:
            pipe.zrem(leases.key_of(self.key, "waiting"), self.registered)
        if member:
            pipe.zadd(leases.key_of(self.key, "waiting"), {member: time.time() + self.lease})
        pipe.execute()
        self.registered, self.registered_at = member, now

    def _release(self, slots: list[tuple[str, str]]) -> None:
        for name, who in slots:
            leases.release(self.conn, name, who)

    # -- the seat's keeper and the end ----------------------------------------------------------------------------
    def renew(self) -> None:
        with self.cond:
            held = [(n, w) for n, w, _s in self.free] + list(self.busy.items())
        for name, who in held:
            leases.renew(self.conn, name, who, self.lease)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            held = [(n, w) for n, w, _s in self.free] + list(self.busy.items())
            self.free, self.busy = [], {}
            sent, self.sent = self.sent, 0
            self.cond.notify_all()
        self.need.set()
        try:
            self._release(held)
            if sent:
                leases.touch(self.conn, self.key, sent)
            self._register(0)
        except Exception:  # noqa: BLE001 - Redis down: the leases and the waiting entry expire on their own
            pass
