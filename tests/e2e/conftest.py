"""Browser tests: a live EvalHub server (``python run.py``) on the session's services, driven in Chromium.

A failing test leaves a full-page screenshot in ``test-artifacts/``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from config import BASE_DIR
from tests.services import stop_process, wait_for

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}  # a common phone's viewport, in CSS pixels
ARTIFACTS = BASE_DIR / "test-artifacts"


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(session_env, worker, tmp_path_factory):
    """Base URL of a real server process (production config: CSRF on) sharing the session's database."""
    port = _free_port()
    env = dict(session_env, PORT=str(port), EVALHUB_ALLOW_PRIVATE_URLS="1")  # the fake model server is on loopback
    log_path = tmp_path_factory.mktemp("live") / "server.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=str(BASE_DIR), env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up():
        assert proc.poll() is None, log_path.read_text()
        try:
            return httpx.get(base + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
    wait_for(up, timeout=60, interval=0.3, message="the live server")
    yield base
    stop_process(proc)
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, live_server, request):
    """A Chromium page on the live server; a test fails if the page broke the Content-Security-Policy."""
    context = browser.new_context(base_url=live_server)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    violations = []
    pg.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield pg
    assert not violations, f"the page broke the CSP: {violations}"
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def phone(browser, live_server):
    """A page in a phone-sized viewport (390 px wide)."""
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()
