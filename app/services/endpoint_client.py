"""The one way to talk to a model endpoint: an openai SDK client, request arguments, and plain-words errors.

Chat, evaluations and connection checks all build their client here. The SDK retries 408/409/429/5xx and
connection failures with exponential backoff (``max_retries``). Redirects are never followed: a 3xx answer is an
error (``explain`` says so), so a request reaches only the address the outbound guard checked.
"""
from __future__ import annotations

import socket
import ssl
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import httpx
import openai

from app.extensions import queues
from app.models import ModelEndpoint
from app.services import crypto
from app.services.outbound import DestinationRefused, guard, pin_checked_addresses
from app.services.scheduler import leases

USER_AGENT = "EvalHub/1.0"
RESERVED_BODY_KEYS = {"model", "messages", "stream", "stream_options"}
_sending = threading.local()


def api_key_of(endpoint: ModelEndpoint) -> str | None:
    return crypto.decrypt(endpoint.api_key_encrypted) if endpoint.api_key_encrypted else None


def client_for(endpoint: ModelEndpoint, timeout: float = 60.0, max_retries: int = 2) -> openai.OpenAI:
    """An SDK client for ``endpoint`` that never follows a redirect (the outbound guard is checked on every call)."""
    guard(endpoint)
    limit = httpx.Timeout(timeout, connect=min(10.0, timeout))
    return openai.OpenAI(
        base_url=endpoint.base_url,
        api_key=api_key_of(endpoint) or "EMPTY",
        timeout=limit,
        max_retries=max_retries,
        default_headers={"User-Agent": USER_AGENT},
        http_client=pin_checked_addresses(openai.DefaultHttpxClient(
            timeout=limit, follow_redirects=False, event_hooks={
                "request": [_trace_sending, _counter(leases.endpoint_key(endpoint.base_url, endpoint.model_name))]})),
    )


def _counter(key: str) -> Callable[[httpx.Request], None]:
    """Count each request in the endpoint's touch count (a benchmark reports what reached its model meanwhile)."""
    def count(_request: httpx.Request) -> None:
        try:
            leases.touch(queues.connection, key)
        except Exception:  # noqa: BLE001 - counting is best-effort: a chat goes on with Redis down
            pass
    return count


@contextmanager
def on_request_sent(callback: Callable[[], None]) -> Iterator[None]:
    """Within the block, ``callback()`` runs each time a request of this thread has been written to the model's
    socket (a retry calls it again). Uses httpx's request hook and httpcore's ``trace`` extension."""
    _sending.callback = callback
    try:
        yield
    finally:
        _sending.callback = None


def _trace_sending(request: httpx.Request) -> None:
    callback = getattr(_sending, "callback", None)
    if callback is not None:
        def trace(event: str, _info: dict) -> None:
            if event.endswith("send_request_body.complete"):
                callback()
        request.extensions["trace"] = trace


def chat_kwargs(endpoint: ModelEndpoint, messages: list[dict], **overrides: Any) -> dict:
    """Arguments of ``chat.completions.create``: the endpoint's defaults, then ``overrides`` (None = unset)."""
    params: dict[str, Any] = {"model": endpoint.model_name, "messages": messages}
    for key in ("temperature", "max_tokens", "top_p"):
        value = overrides.pop(key, None)
        value = getattr(endpoint, key) if value is None else value
        if value is not None:
            params[key] = value
    params.update({k: v for k, v in overrides.items() if v is not None})
    extra = {k: v for k, v in (endpoint.extra_body or {}).items() if k not in RESERVED_BODY_KEYS}
    if extra:
        params["extra_body"] = extra
    return params


def open_chat_stream(client: openai.OpenAI, params: dict) -> httpx.Response:
    """Start a streamed chat completion of ``params`` (from ``chat_kwargs``) and return the open response, whose SSE
    lines the caller reads and which it closes. This goes through the SDK's ``client.post`` (its way to call a route
    as is): retries and error classes are the SDK's, but not the typed-dict transform of ``create``'s arguments,
    which costs ~0.3 ms a request (more with a long history) on the way to the first token and changes nothing in
    plain JSON."""
    body = {key: value for key, value in params.items() if key != "extra_body"}
    body.update(params.get("extra_body") or {})
    body.update(stream=True, stream_options={"include_usage": True})
    return client.post("/chat/completions", body=body, cast_to=object, stream=True,
                       stream_cls=openai.Stream[object]).response


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while seen.__cause__ is not None or seen.__context__ is not None:
        seen = seen.__cause__ or seen.__context__
    return seen


def explain(exc: BaseException) -> str:
    """What went wrong, in words a person understands, without echoing what the server sent.

    The messages are chosen for what a hostile user could learn from them. For a target the outbound guard allows
    (a public address, or a private one an administrator allowed) they keep the causes that help: the name does
    not resolve, TLS failed, timeout, connection refused, 401/403 (the key), 404 (the path or model), 429, a
    redirect, or the bare HTTP status; such a user could reach that address with their own client anyway. They
    never quote the server's body (it might be an internal service's page) nor the low-level cause text. A private
    or loopback address the guard forbids is never connected to (redirects are not followed, and a DNS answer that
    changed after the check is refused at connect time): whatever listens there or not, the message is the guard's
    refusal, so open, closed and filtered ports cannot be told apart. The SDK never puts keys in messages.
    """
    if isinstance(exc, openai.APITimeoutError):
        return "Timed out: the server did not answer in time. Is it overloaded, or is the URL right?"
    if isinstance(exc, openai.AuthenticationError):
        return "Rejected the API key (401): check the key."
    if isinstance(exc, openai.PermissionDeniedError):
        return "Access denied (403): the key has no right to this model."
    if isinstance(exc, openai.NotFoundError):
        return ("Not found (404): the base URL's path or the model name is wrong "
                "(base URLs usually end in /v1).")
    if isinstance(exc, openai.RateLimitError):
        return "Rate limited (429): the server asks to slow down; try again later or lower the concurrency."
    if isinstance(exc, openai.APIStatusError):
        if 300 <= exc.status_code < 400:
            return (f"The server answered with a redirect (HTTP {exc.status_code}). EvalHub does not follow "
                    "redirects: use the address it redirects to as the base URL.")
        return f"The server answered HTTP {exc.status_code}."
    if isinstance(exc, openai.APIConnectionError):
        cause = _root_cause(exc)
        if isinstance(cause, DestinationRefused):
            return str(cause)
        text = str(cause).lower()
        if isinstance(cause, socket.gaierror) or "name or service not known" in text \
                or "nodename nor servname" in text or "temporary failure in name resolution" in text:
            return "The host name does not resolve: check the base URL."
        if isinstance(cause, ConnectionRefusedError) or "connection refused" in text:
            return "Connection refused: nothing listens at that host and port."
        if isinstance(cause, ssl.SSLError) or "certificate" in text or "ssl" in text or "tls" in text:
            return "TLS failed: the certificate is invalid or the server does not speak HTTPS on that port."
        return "Could not connect: the connection failed or was closed before the server answered."
    if isinstance(exc, NotOpenAICompatible):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class NotOpenAICompatible(RuntimeError):
    """The server answered, but not as an OpenAI-compatible API does."""
