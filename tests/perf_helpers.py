"""Shared helpers of the benchmark tests: models on the fake server, submitting, waiting for a run to finish."""
from __future__ import annotations

import socket

from app.extensions import db
from app.models import AppSetting, PerfRun
from app.services import endpoints, perf, perf_queue
from app.services.scheduler import endpoint_key
from tests.services import wait_for

#: The fake model of the accuracy tests: 200 ms to the first token, then 20 ms per token, 20 tokens.
TTFT_S, TOKEN_DELAY_S, TOKENS = 0.2, 0.02, 20
REPLY = " ".join(f"w{i}" for i in range(TOKENS))


def allow_loopback() -> None:
    """The worker reads this setting from the database (its own config does not allow loopback URLs)."""
    db.session.merge(AppSetting(key="allow_private_urls", value=True))
    db.session.commit()


def model(owner, fake_llm, model_name: str, name: str | None = None, base_url: str | None = None, **behaviour):
    """A model of ``owner`` on the fake server (``behaviour``: reply, ttft, token_delay... registered there)."""
    allow_loopback()
    if behaviour:
        fake_llm.add_model(model_name, **behaviour)
    return endpoints.create(owner, {"name": name or model_name, "base_url": base_url or fake_llm.base_url,
                                    "model_name": model_name})


def known_model(owner, fake_llm, model_name: str = "perf-known"):
    return model(owner, fake_llm, model_name, ttft=TTFT_S, token_delay=TOKEN_DELAY_S, reply=REPLY)


def submit(owner, **fields) -> PerfRun:
    """Validate and submit as the page does; small and quick by default."""
    data = {"concurrency": "1", "number": "4", "max_tokens": "64", "sleep_interval": "0", "timeout_minutes": "5",
            **{k: str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for k, v in fields.items()}}
    endpoint, params = perf.validate(data, owner)
    return perf_queue.submit(owner, endpoint, params)


def fresh(run_id: int) -> PerfRun:
    db.session.rollback()
    return db.session.get(PerfRun, run_id)


def finished(run_id: int, timeout: float = 180) -> PerfRun:
    """Wait for the worker to finish the run."""
    def done():
        run = fresh(run_id)
        return run if not run.is_active else None
    return wait_for(done, timeout=timeout, interval=0.5, message=f"benchmark #{run_id} to finish")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def row(owner, endpoint, status: str = "succeeded", **fields) -> PerfRun:
    """A run row written directly (nothing enqueued): for pages and isolation tests."""
    from app.models.types import utcnow
    params = {"prompt_source": "synthetic", "prompt_length": 128, "concurrency": [1], "number": [4], "rate": None,
              "max_tokens": 64, "stream": True, "temperature": 0.0, "timeout_minutes": 5, "timeout_seconds": 300,
              "sleep_interval": 0}
    run = PerfRun(owner_id=owner.id, endpoint_id=endpoint.id, endpoint_name=endpoint.name, status=status,
                  target_key=endpoint_key(endpoint.base_url, endpoint.model_name), params=params,
                  **{"started_at": utcnow(), "heartbeat_at": utcnow(), "progress_total": 4, **fields})
    db.session.add(run)
    db.session.commit()
    return run


def block(owner, endpoint) -> PerfRun:
    """A running benchmark row of the model that no worker runs (a busy target for isolation tests). Its heartbeat
    is set a day ahead: no worker beats for it, and the workers' maintenance must not reap it as dead
    while a slow machine takes longer than the dead-worker limit to run the test."""
    from datetime import timedelta

    from app.models.types import utcnow
    return row(owner, endpoint, status="running", heartbeat_at=utcnow() + timedelta(days=1))
