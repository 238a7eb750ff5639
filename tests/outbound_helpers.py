"""Shared helpers of the outbound tests: a server that answers every request with a redirect."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Redirector:
    """An HTTP server on 127.0.0.1 answering every request with ``status`` to the same path on ``target``
    (e.g. the fake model server: a client that follows the redirect is served from there)."""

    def __init__(self, target: str, status: int = 307):
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status)
                self.send_header("Location", target.rstrip("/") + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *_args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "Redirector":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def model_calls(fake_llm) -> list[dict]:
    """The requests the fake model server received (none when nothing followed a redirect to it)."""
    return [r for r in fake_llm.requests if r["path"].endswith(("/chat/completions", "/models"))]
