"""The per-job forwarding proxy: the engine's ``api_url`` points here, so every model and judge request of a run
holds a slot of its endpoint's capacity while it is at the server.

Engine subprocesses never get Redis credentials: the work horse runs this small HTTP server on 127.0.0.1 in a
thread. ``/e<endpoint id>/<path>`` goes to that endpoint's ``base_url`` + ``<path>``: take a slot of the run's pool
(pool.py: the run's batch lease, handed out in this process), forward the request as it came (headers and key
included, no redirects followed), pass the answer through as it arrives (streams stay streams), give the slot back.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import redis

from app.services.scheduler.pool import Pool

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
        self.targets = {t.endpoint_id: t for t in targets}
        self.pools = {t.endpoint_id: Pool(conn, t.key, t.capacity, holder, lease) for t in targets}
        self.client = httpx.Client(timeout=httpx.Timeout(900.0, connect=10.0), follow_redirects=False,
                                   limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.proxy = self
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="evalhub-endpoint-proxy", daemon=True)
        self.thread.start()

    def url_of(self, endpoint_id: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/e{endpoint_id}"

    def renew(self) -> None:
        for pool in self.pools.values():
            pool.renew()

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
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
        pool = self.pools[target.endpoint_id]
        slot = pool.take()
        if slot is None:
            handler.send_error(503, "The run is stopping")
            return
        try:
            self._relay(handler, target, rest, body)
        finally:
            pool.give(slot)

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
