"""Make every HTTP client of an engine process refuse redirects (imported by the drivers from their own directory).

The engines (evalscope, OpenCompass) build their own clients: the openai SDK on httpx, which follows redirects by
default, evalscope perf on aiohttp, some OpenCompass models on requests. EvalHub checks a model's address before
the engine starts; a model that answered 307 to an internal address would otherwise be served from there, past that
check. ``refuse_redirects()`` patches each library's one sending method, so whatever client the engine builds, a
3xx answer comes back as the answer itself (an error to the engine) and the address it names is never called.
"""
from __future__ import annotations

import functools
import importlib.util


def _forced(send, keyword: str):
    @functools.wraps(send)
    def without_redirects(self, *args, **kwargs):
        kwargs[keyword] = False
        return send(self, *args, **kwargs)
    without_redirects.evalhub_no_redirects = True
    return without_redirects


def _patch(cls, method: str, keyword: str) -> None:
    send = getattr(cls, method)
    if not getattr(send, "evalhub_no_redirects", False):
        setattr(cls, method, _forced(send, keyword))


def refuse_redirects() -> None:
    """Patch httpx (sync and async), aiohttp and requests, where installed, to never follow a redirect."""
    if importlib.util.find_spec("httpx"):
        import httpx
        _patch(httpx.Client, "send", "follow_redirects")
        _patch(httpx.AsyncClient, "send", "follow_redirects")
    if importlib.util.find_spec("aiohttp"):
        import aiohttp
        _patch(aiohttp.ClientSession, "_request", "allow_redirects")
    if importlib.util.find_spec("requests"):
        import requests
        _patch(requests.Session, "send", "allow_redirects")
