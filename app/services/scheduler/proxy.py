"""The per-job forwarding proxy: the engine's ``api_url`` points here, so every model and judge request of a run
takes a slot of its endpoint's capacity first.

Engine subprocesses never get Redis credentials: the work horse runs this small HTTP server on 127.0.0.1 in a
thread. ``/e<endpoint id>/<path>`` goes to that endpoint's ``base_url`` + ``<path>``: wait for a slot (leased in
Redis, renewed while the request runs), forward the request as it came (headers and key included, no redirects
followed), pass the answer through as it arrives (streams stay streams), release the slot.
"""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import redis

from app.services.scheduler import leases

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "host", "content-length"}


@dataclass
class Target:
    """One endpoint a run talks to."""

    endpoint_id: int
    base_url: str
    key: str
    capacity: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    proxy: "Proxy"

    def handle_error(self, request, client_address):
        """Quiet: an engine that goes away mid-answer is normal on cancel."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection; the body ends at close

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        self.server.proxy.forward(self)

    do_GET = do_POST


class Proxy:
    """A forwarding proxy for one run: ``url_of(target)`` is what the engine uses as the endpoint's URL."""

    def __init__(self, conn: redis.Redis, holder: str, targets: list[Target], lease: int):
        self.conn, self.holder, self.lease = conn, holder, lease
        self.targets = {t.endpoint_id: t for t in targets}
        self.held: dict[str, str] = {}  # slot key -> holder value, for renewal
        self.waiting = 0  # this run's requests waiting for a slot
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.client = httpx.Client(timeout=httpx.Timeout(900.0, connect=10.0), follow_redirects=False,
                                   limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.proxy = self
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="evalhub-endpoint-proxy", daemon=True)
        self.thread.start()

    def url_of(self, endpoint_id: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/e{endpoint_id}"

    def _poll(self) -> float:
        """How often a waiting request tries: the more of this run's requests wait, the less often each one tries,
        so a freed slot is still seen within about 10 ms while Redis is asked about 100 times a second per run."""
        return min(0.3, 0.01 * (1 + self.waiting))

    def renew(self) -> None:
        with self.lock:
            held = list(self.held.items())
        for name, who in held:
            leases.renew(self.conn, name, who, self.lease)

    def close(self) -> None:
        self.stop_event.set()
        self.server.shutdown()
        self.server.server_close()
        self.client.close()

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        head, _, rest = handler.path.lstrip("/").partition("/")
        target = self.targets.get(int(head[1:])) if head[:1] == "e" and head[1:].isdigit() else None
        if target is None:
            handler.send_error(404, "Unknown endpoint")
            return
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        who = f"{self.holder}|{secrets.token_hex(6)}"
        with self.lock:
            self.waiting += 1
        try:
            slot = leases.acquire(self.conn, target.key, target.capacity, who, self.lease, self.stop_event,
                                  poll=self._poll)
        finally:
            with self.lock:
                self.waiting -= 1
        if slot is None:
            handler.send_error(503, "The run is stopping")
            return
        with self.lock:
            self.held[slot] = who
        try:
            self._relay(handler, target, rest, body)
        finally:
            with self.lock:
                self.held.pop(slot, None)
            leases.release(self.conn, slot, who)
            leases.touch(self.conn, target.key)  # after the release: the slot is not held for it

    def _relay(self, handler: BaseHTTPRequestHandler, target: Target, rest: str, body: bytes) -> None:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP}
        request = self.client.build_request(handler.command, f"{target.base_url.rstrip('/')}/{rest}",
                                            headers=headers, content=body)
        try:
            upstream = self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            handler.send_error(502, f"The model endpoint did not answer: {type(exc).__name__}")
            return
        try:
            handler.send_response(upstream.status_code)
            for name, value in upstream.headers.multi_items():
                if name.lower() not in HOP:
                    handler.send_header(name, value)
            handler.send_header("Connection", "close")
            handler.end_headers()
            for chunk in upstream.iter_raw():
                handler.wfile.write(chunk)
                handler.wfile.flush()
        except (OSError, httpx.HTTPError):
            pass  # the engine went away, or the endpoint broke off: the connection closes either way
        finally:
            upstream.close()
