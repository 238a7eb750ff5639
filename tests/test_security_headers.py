"""Security headers on every response, the client's address behind a trusted proxy, no server banner."""
import socket
import subprocess
import sys

import httpx
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent
from config import BASE_DIR
from tests.apps import make_app
from tests.services import stop_process, wait_for

EXPECTED = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def assert_secure(response, what):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (what, name)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, what
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what


def test_every_kind_of_response_carries_the_headers(client, make_user):
    assert_secure(client.get("/login"), "sign-in page")
    assert_secure(client.get("/static/css/app.css"), "static file")
    assert_secure(client.get("/api/v1/me"), "API 401")
    assert_secure(client.get("/no/such/page"), "HTML 404")
    make_user("alice")
    client.post("/login", data={"username": "alice", "password": "correct-horse"})
    assert_secure(client.get("/dashboard"), "dashboard")


def test_pages_hold_no_inline_script(client, user):
    """CSP allows only this site's script files: a page's inline <script> (other than JSON data) would not run."""
    import re
    for path in ("/login", "/dashboard", "/profile", "/chat/", "/evals/new", "/perf/new", "/datasets/"):
        html = client.get(path, follow_redirects=True).data.decode()
        inline = [t for t in re.findall(r"<script([^>]*)>", html)
                  if "src=" not in t and 'type="application/json"' not in t]
        assert not inline, (path, inline)
        assert not re.search(r"\son[a-z]+=\"", html) and ' style="' not in html, path


def test_a_trusted_proxy_gives_the_client_address(session_env, make_user):
    app = make_app(session_env, PROXY_HOPS=1)
    make_user("alice")
    app.test_client().post("/login", data={"username": "alice", "password": "wrong-password"},
                           headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert db.session.scalar(sa.select(AuditEvent.ip).where(AuditEvent.action == "login.failure")) == "203.0.113.9"


def test_without_proxy_hops_forwarded_for_is_ignored(client, make_user):
    make_user("alice")
    client.post("/login", data={"username": "alice", "password": "wrong-password"},
                headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert db.session.scalar(sa.select(AuditEvent.ip).where(AuditEvent.action == "login.failure")) == "10.0.0.1"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("server", ["werkzeug", "gunicorn"])
def test_no_server_software_or_version_is_named(session_env, tmp_path, server):
    port = _port()
    command = ([sys.executable, "run.py"] if server == "werkzeug" else
               [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "2", "-b", f"127.0.0.1:{port}",
                "run:app"])
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen(command, cwd=str(BASE_DIR), env=dict(session_env, PORT=str(port)), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def answer():
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            except httpx.HTTPError:
                return None
        response = wait_for(answer, timeout=60, interval=0.3, message=f"{server} to answer")
        assert response.headers.get_list("server") == ["EvalHub"]
        assert_secure(response, server)
    finally:
        stop_process(proc)
        log.close()
