"""Outbound requests: never a redirect, one request-time guard, no body echoed, no port scanning, deleted models."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from app.extensions import db
from app.models import EvalRun, ModelEndpoint
from app.services import endpoint_check, endpoints, evals, settings
from app.services.endpoint_client import chat_kwargs, client_for, explain
from config import BASE_DIR
from tests import evals_helpers as h
from tests.models_helpers import make_model
from tests.outbound_helpers import Redirector, model_calls
from tests.perf_helpers import closed_port

DRIVERS = BASE_DIR / "app" / "engines" / "drivers"


@pytest.fixture
def redirector(fake_llm):
    """A server answering 307 to the fake model server (an "internal address" a redirect would lead to)."""
    with Redirector(fake_llm.base_url.removesuffix("/v1")) as server:
        yield server


def forbid_private(admin_user) -> None:
    settings.put(settings.ALLOW_PRIVATE_URLS, False, admin_user)


def test_model_check_and_chat_client_do_not_follow_a_redirect(user, fake_llm, redirector):
    model = make_model(user, fake_llm, base_url=redirector.origin + "/v1")
    result = endpoint_check.run_check(model)
    assert not result.ok and "redirect (HTTP 307)" in result.message, result.message
    with pytest.raises(openai.APIStatusError) as caught:  # what chat and a benchmark's test request use
        client_for(model, max_retries=0).chat.completions.create(**chat_kwargs(model, [{"role": "user",
                                                                                         "content": "hi"}]))
    assert caught.value.status_code == 307 and "does not follow redirects" in explain(caught.value)
    assert redirector.hits and not model_calls(fake_llm)  # asked the redirecting server; never the target


@pytest.mark.parametrize("engine", ["evalscope", "opencompass"])
def test_evaluation_engine_does_not_follow_a_redirect(user, worker, fake_llm, redirector, engine):
    """evalscope's SDK clients followed redirects; OpenCompass's OpenAISDK (a plain httpx.Client) did not, and must
    not start to (its case guards against a regression, e.g. another OpenCompass model class on requests)."""
    if engine == "opencompass" and not evals.engine_state(engine)[0]:
        pytest.skip("OpenCompass is not installed")
    m = endpoints.create(user, {"name": "Moved", "base_url": redirector.origin + "/v1", "model_name": "echo"})
    d = h.dataset(user, h.mcq_rows(1 if engine == "opencompass" else 2), "mcq", "Few")
    run = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], concurrency=1,
                              engine=engine).id, timeout=300)
    assert any("chat/completions" in hit for hit in redirector.hits), (run.status, run.error)
    assert not model_calls(fake_llm)


def _driver_probe(python: str, origin: str) -> dict:
    """Run, in ``python``'s environment, the drivers' redirect refusal and then each HTTP library's request."""
    script = f"""
import asyncio, importlib.util, json, sys
sys.path.insert(0, {str(DRIVERS)!r})
from no_redirects import refuse_redirects
refuse_redirects()
url, out = {origin!r} + "/v1/chat/completions", {{}}
import httpx
out["httpx"] = httpx.Client().post(url, json={{}}).status_code
async def both():
    async with httpx.AsyncClient(follow_redirects=True) as c:
        out["httpx_async"] = (await c.post(url, json={{}})).status_code
    if importlib.util.find_spec("aiohttp"):
        import aiohttp
        async with aiohttp.ClientSession() as s:
            async with s.post(url, json={{}}) as r:
                out["aiohttp"] = r.status
asyncio.run(both())
if importlib.util.find_spec("requests"):
    import requests
    out["requests"] = requests.post(url, json={{}}).status_code
print(json.dumps(out))
"""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("venv", [".venv", ".venv-opencompass"])
def test_engine_processes_refuse_redirects_in_every_http_library(fake_llm, redirector, venv):
    python = BASE_DIR / venv / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{venv} is not installed")
    statuses = _driver_probe(str(python), redirector.origin)
    assert statuses and set(statuses.values()) == {307}, statuses
    assert {"httpx", "httpx_async"} <= set(statuses)
    assert not model_calls(fake_llm)


def test_benchmark_driver_does_not_follow_a_redirect(tmp_path, fake_llm, redirector):
    """evalscope perf's own aiohttp client, in the driver process (after EvalHub's test request has passed)."""
    (tmp_path / "prompts.txt").write_text("hello there\n")
    arguments = {"model": "echo", "url": redirector.origin + "/v1/chat/completions", "api": "openai",
                 "parallel": 1, "number": 2, "rate": -1, "max_tokens": 8, "stream": True, "temperature": 0.0,
                 "dataset": "line_by_line", "dataset_path": str(tmp_path / "prompts.txt"),
                 "outputs_dir": str(tmp_path / "out"), "name": "perf", "no_timestamp": True,
                 "total_timeout": 60, "connect_timeout": 5, "no_test_connection": True}
    (tmp_path / "config.json").write_text(json.dumps({"arguments": arguments}))
    subprocess.run([sys.executable, str(DRIVERS / "evalscope_perf.py"), str(tmp_path / "config.json")],
                   capture_output=True, timeout=300, cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    assert any("chat/completions" in hit for hit in redirector.hits)
    assert not model_calls(fake_llm)


def test_errors_never_echo_the_body(user, fake_llm):
    for status in (400, 500, 503):
        model = make_model(user, fake_llm, name=f"E{status}", model_name=f"error-{status}")
        result = endpoint_check.run_check(model)
        assert result.message == f"The server answered HTTP {status}.", result.message  # no "Simulated error..."


def test_a_forbidden_address_reads_the_same_whatever_listens_there(app, make_user, fake_llm, monkeypatch):
    """DNS rebinding: the name resolves to a public address when checked, to 127.0.0.1 when connecting. An open
    port (the fake model), a closed one and a 404 path must be indistinguishable, and none is connected to."""
    admin = make_user("root", role="admin")
    user = make_user("mallory")
    real = socket.getaddrinfo
    calls = {"n": 0}

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        calls["n"] += 1
        address = "93.184.216.34" if port is None else "127.0.0.1"  # the guard asks without a port
        return real(address, port, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    forbid_private(admin)
    fake_port = fake_llm.base_url.split(":")[2].split("/")[0]
    messages = set()
    for i, base in enumerate((f"http://rebind.example:{fake_port}/v1", f"http://rebind.example:{closed_port()}/v1",
                              f"http://rebind.example:{fake_port}/nothing-here")):
        model = endpoints.create(user, {"name": f"R{i}", "base_url": base, "model_name": "echo"})
        messages.add(endpoint_check.run_check(model).message)
    assert len(messages) == 1 and "private or loopback address" in messages.pop()
    assert calls["n"] and not model_calls(fake_llm)


def test_submit_checks_the_guard(app, make_user, fake_llm):
    admin, user = make_user("root", role="admin"), make_user("alice")
    m = h.model(user, fake_llm, "Local", "echo")
    d = h.dataset(user, h.mcq_rows(2), "mcq", "Two")
    forbid_private(admin)
    with pytest.raises(evals.EvalInvalid) as caught:
        h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}])
    assert "private or loopback" in caught.value.errors["model_id"]
    assert h.count_runs() == 0


def _waiting_run(user, fake_llm) -> EvalRun:
    """A run queued but not started yet (no worker has it): a row as submit leaves it."""
    m = h.model(user, fake_llm, "Local", "echo")
    d = h.dataset(user, h.mcq_rows(2), "mcq", "Two")
    run = evals.build(user, {"model_id": m.id, "datasets": [{"dataset_id": d.id}]})
    run.status = "queued"
    db.session.add(run)
    db.session.commit()
    return run


@pytest.mark.parametrize("change", ["model deleted", "private forbidden"])
def test_the_worker_checks_again_before_the_engine_starts(app, make_user, fake_llm, change):
    from workers.eval_jobs import run_eval
    admin, user = make_user("root", role="admin"), make_user("alice")
    run = _waiting_run(user, fake_llm)
    if change == "model deleted":
        endpoints.delete(db.session.get(ModelEndpoint, run.endpoint_id), user)
    else:
        forbid_private(admin)
    assert run_eval(run.id) == "failed"
    run = db.session.get(EvalRun, run.id)
    assert run.status == "failed" and ("was deleted" in run.error or "private or loopback" in run.error), run.error
    assert not model_calls(fake_llm) and not run.work_dir  # the engine never started


def test_resume_of_a_run_whose_model_was_deleted_is_refused(client, user, fake_llm, api_headers):
    run = _waiting_run(user, fake_llm)
    run.status = "failed"
    db.session.commit()
    endpoints.delete(db.session.get(ModelEndpoint, run.endpoint_id), user)
    r = client.post(f"/evals/{run.id}/resume", follow_redirects=True)
    assert "was deleted" in r.get_data(as_text=True)
    r = client.post(f"/api/v1/evals/{run.id}/resume", headers=api_headers(user))
    assert r.status_code == 409 and "was deleted" in r.get_json()["error"]["fields"]["model_id"]
    db.session.expire_all()
    assert db.session.get(EvalRun, run.id).status == "failed" and not model_calls(fake_llm)


def test_embedded_workers_decide_private_addresses_as_the_web_did(tmp_path, monkeypatch):
    """The embedded default allows loopback models; its worker subprocesses (given REDIS_URL and DATABASE_URL)
    must too, or benchmarks and evaluations refuse what the model check and chat reach."""
    from types import SimpleNamespace

    from app.embedded import EmbeddedQueue
    from config import Config
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "EVALHUB_ALLOW_PRIVATE_URLS")}
    env["EVALHUB_DATA_DIR"] = str(tmp_path)
    web = SimpleNamespace(config=vars(Config(env)))
    assert web.config["EMBEDDED"] and web.config["ALLOW_PRIVATE_URLS"]
    web.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # what EmbeddedQueue.start fills in
    spawned = {}
    monkeypatch.setattr(subprocess, "Popen", lambda cmd, **kw: spawned.update(kw))
    monkeypatch.setattr(os, "environ", env)
    EmbeddedQueue(web)._spawn(0)
    worker = Config(spawned["env"])
    assert not worker.EMBEDDED  # it talks to the web's Redis and database...
    assert worker.ALLOW_PRIVATE_URLS is True  # ...yet decides like the web
    assert Path(worker.DATA_DIR) == Path(web.config["DATA_DIR"])


def test_a_benchmark_of_a_refused_address_is_refused_at_submit(client, admin, fake_llm, api_headers):
    m = make_model(admin, fake_llm, name="Local")
    forbid_private(admin)
    r = client.post("/api/v1/perf", json={"endpoint_id": m.id}, headers=api_headers(admin))
    assert r.status_code == 422 and "private or loopback" in r.get_json()["error"]["fields"]["endpoint_id"]
    assert client.get("/api/v1/perf", headers=api_headers(admin)).get_json()["total"] == 0
