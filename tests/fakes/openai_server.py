"""A small OpenAI-compatible HTTP server standing in for remote model APIs in tests.

Behaviour is chosen per request by the model name, so one server can play many
endpoints.  Built-in names: ``echo``, ``slow-<ms>``, ``error-<code>``, ``garbage``,
``cut-<n>`` and ``hang``; anything else gets the default behaviour.  Further
behaviour is registered with :meth:`FakeOpenAIServer.add_model`.  Typical use:
``srv = FakeOpenAIServer().start(); openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)``.
"""
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: Behaviour keys accepted by :meth:`FakeOpenAIServer.add_model`, with defaults.
#: ``reply``: str or callable(messages, request_json) -> str (None means "Hello from {model}.").
#: ``fail_rate_pattern``: callable(request_index) -> bool, index counted per model from 0.
DEFAULT_BEHAVIOUR = {"reply": None, "ttft": 0.0, "token_delay": 0.0, "chunk_size": 1, "status": 200,
                     "garbage": False, "cut_after": None, "hang": False, "fail_rate_pattern": None}
_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 429: "rate_limit_exceeded", 503: "service_unavailable"}


def _text(content):
    """Flatten a message content (string or list of parts) to plain text."""
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _words(text):
    return re.findall(r"\S+\s*", text)


def _builtin(model):
    """Behaviour implied by a built-in model name."""
    if model == "echo":
        def echo(messages, _req):
            users = [m for m in messages if m.get("role") == "user"]
            return _text(users[-1].get("content")) if users else ""
        return {"reply": echo}
    if model in ("garbage", "hang"):
        return {model: True}
    m = re.fullmatch(r"(slow|error|cut)-(\d+)", model)
    if not m:
        return {}
    n = int(m.group(2))
    return {"slow": {"ttft": n / 1000, "token_delay": n / 1000},
            "error": {"status": n}, "cut": {"cut_after": n}}[m.group(1)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    fake = None  # the owning FakeOpenAIServer

    def handle_error(self, request, client_address):
        """Stay quiet: client disconnects are expected in tests."""  # handler reports the rest


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # no keep-alive, no chunked encoding: body ends at close

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._dispatch()

    do_POST = do_GET

    def _send_json(self, status, obj, content_type="application/json"):
        body = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        getattr(self, "_answered", lambda: None)()
        self.wfile.write(body)
        self.wfile.flush()

    def _error(self, status, message, code=None):
        etype = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
        self._send_json(status, {"error": {"message": message, "type": etype, "param": None,
                                           "code": code or etype}})

    def _sse(self, obj):
        data = obj if isinstance(obj, str) else json.dumps(obj)
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()

    def _dispatch(self):
        fake = self.server.fake
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            path = self.path.split("?", 1)[0].rstrip("/")
            fake._record({"path": path, "method": self.command, "json": body, "time": time.time(),
                          "headers": {k.lower(): v for k, v in self.headers.items()}})
            if fake.api_key is not None and self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                return self._error(401, "Incorrect API key provided.", "invalid_api_key")
            if self.command == "GET" and path in ("/v1/models", "/models"):
                return self._send_json(200, {"object": "list", "data": [
                    {"id": n, "object": "model", "created": 0, "owned_by": "fake"}
                    for n in fake._model_names()]})
            if self.command == "POST" and path in ("/v1/chat/completions", "/chat/completions",
                                                   "/v1/completions", "/completions"):
                if not isinstance(body, dict) or not isinstance(body.get("model"), str):
                    return self._error(400, "Request body must be JSON with a 'model' string.")
                entry = fake._enter(body["model"])
                done = []
                # counted done before the answer's last bytes are written: a client that sends its next request
                # only once the whole answer arrived is never counted one too many (while this thread waits for
                # the GIL between its write and its count)
                self._answered = lambda: done or done.append(fake._leave(body["model"], entry))
                try:
                    return self._complete(fake, body, chat=path.endswith("chat/completions"))
                finally:
                    self._answered()
            return self._error(404, f"Unknown endpoint {self.command} {path}", "unknown_url")
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # client went away: nothing to report
        except Exception as exc:  # e.g. a failing reply callable: make it visible to the test
            try:
                self._error(500, f"Fake server error: {exc!r}", "fake_server_exception")
            except OSError:
                pass

    def _complete(self, fake, body, chat):
        model = body["model"]
        b, index = fake._behaviour(model)
        status = b["status"]
        if b["fail_rate_pattern"] is not None and b["fail_rate_pattern"](index):
            status = 500
        if status != 200:
            return self._error(status, f"Simulated error {status} for model {model}.")
        if b["garbage"]:
            return self._send_json(200, "<html>oops</html>", "text/html")
        if b["hang"]:
            fake._stopped.wait()  # released (connection closed unanswered) by stop()
            return
        prompt = body.get("prompt", "")
        messages = (body.get("messages") or []) if chat else [
            {"role": "user", "content": prompt if isinstance(prompt, str) else " ".join(map(str, prompt))}]
        reply = b["reply"]
        text = reply(messages, body) if callable(reply) else (f"Hello from {model}." if reply is None else str(reply))
        words = _words(text)
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        finish = "stop"
        if isinstance(limit, int) and 0 < limit < len(words):
            words, finish = words[:limit], "length"
        text = "".join(words)
        size = max(1, int(b["chunk_size"]))
        chunks = ["".join(words[i:i + size]) for i in range(0, len(words), size)] or [""]
        prompt_tokens = sum(len(_text(m.get("content")).split()) for m in messages if isinstance(m, dict))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(words),
                 "total_tokens": prompt_tokens + len(words)}
        rid, created = f"chatcmpl-fake-{index}", int(time.time())
        if chat and body.get("stream"):
            return self._stream(fake, b, model, rid, created, chunks, finish, usage, body)
        fake._stopped.wait(b["ttft"] + b["token_delay"] * max(0, len(chunks) - 1))
        if chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text},
                      "finish_reason": finish, "logprobs": None}
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": text, "finish_reason": finish, "logprobs": None}
            obj, rid = "text_completion", f"cmpl-fake-{index}"
        self._send_json(200, {"id": rid, "object": obj, "created": created, "model": model,
                              "choices": [choice], "usage": usage})

    def _stream(self, fake, b, model, rid, created, chunks, finish, usage, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        base = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": model}
        cut = b["cut_after"]
        for i, piece in enumerate(chunks):
            if cut is not None and i >= cut:
                return  # abrupt end: no finish chunk, no [DONE]
            if fake._stopped.wait(b["ttft"] if i == 0 else b["token_delay"]):
                return
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            self._sse({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        self._sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._sse({**base, "choices": [], "usage": usage})
        self._answered()
        self._sse("[DONE]")


class FakeOpenAIServer:
    """OpenAI-compatible server running in a background thread.

    Attributes:
        api_key: when set, requests lacking ``Authorization: Bearer <api_key>`` get 401.
        requests: every received request as ``{"path", "method", "headers", "json", "time"}``
            (header names lower-cased; ``json`` is None when the body was not JSON).
        in_flight, peak: completions being answered now, and the most at once, per model name.
        answered: ``(model, start, end)`` of every completion answered (times from ``time.time()``).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind to ``host:port`` (port 0 picks a free port); call :meth:`start` to serve."""
        self.api_key: str | None = None
        self.requests: list[dict] = []
        self._models = {}
        self._counts = {}
        self.in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.answered: list[tuple[str, float, float]] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fake = self
        self._thread = None

    @property
    def base_url(self) -> str:
        """Base URL for OpenAI clients, e.g. ``http://127.0.0.1:PORT/v1``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeOpenAIServer":
        """Start serving in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="FakeOpenAIServer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging and delayed requests are released and their connections closed."""
        self._stopped.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
        self._httpd.server_close()

    def add_model(self, name: str, **behaviour) -> None:
        """Register (or override) model ``name``; keys as in :data:`DEFAULT_BEHAVIOUR`.

        Keys given here are layered over the built-in behaviour implied by the name.
        """
        unknown = set(behaviour) - set(DEFAULT_BEHAVIOUR)
        if unknown:
            raise TypeError(f"unknown behaviour keys: {sorted(unknown)}")
        with self._lock:
            self._models[name] = dict(behaviour)

    def reset(self) -> None:
        """Forget received requests, registered models and per-model request counters (not api_key)."""
        with self._lock:
            self.requests.clear()
            self._models.clear()
            self._counts.clear()
            self.in_flight.clear()
            self.peak.clear()
            self.answered.clear()

    def _enter(self, model: str) -> float:
        with self._lock:
            self.in_flight[model] = self.in_flight.get(model, 0) + 1
            self.peak[model] = max(self.peak.get(model, 0), self.in_flight[model])
        return time.time()

    def _leave(self, model: str, start: float) -> None:
        with self._lock:
            self.in_flight[model] -= 1
            self.answered.append((model, start, time.time()))

    def _record(self, entry):
        with self._lock:
            self.requests.append(entry)

    def _model_names(self):
        with self._lock:
            return list(self._models) + (["echo"] if "echo" not in self._models else [])

    def _behaviour(self, model):
        """Return (behaviour dict, 0-based index of this request among requests to ``model``)."""
        with self._lock:
            b = {**DEFAULT_BEHAVIOUR, **_builtin(model), **self._models.get(model, {})}
            index = self._counts.get(model, 0)
            self._counts[model] = index + 1
        return b, index
