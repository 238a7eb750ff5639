"""README's first command: ``python run.py`` on a fresh data dir comes up with a first admin and a worker."""
import os
import re
import subprocess
import sys

import httpx
import pytest

from config import BASE_DIR
from tests import services
from tests.apps import csrf_token_in
from tests.services import wait_for


@pytest.fixture
def embedded_server(tmp_path):
    with services.embedded_server(tmp_path) as (base, _proc):
        yield base, tmp_path


def test_first_start_admin_signs_in_and_a_job_runs(embedded_server):
    base, tmp_path = embedded_server
    assert (tmp_path / "data" / "evalhub.db").exists()
    assert "First admin created" in (tmp_path / "server.log").read_text()
    with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as c:
        page = c.get("/login").text
        r = c.post("/login", data={"username": "admin", "password": "first-admin-pw", "csrf_token": csrf_token_in(page)})
        assert "Welcome, admin" in r.text
        r = c.post("/worker-ping", data={"csrf_token": csrf_token_in(r.text)})
        job_id = re.search(r'data-job-id="([^"]+)"', r.text).group(1)
        wait_for(lambda: c.get(f"/worker-ping/{job_id}").json()["status"] == "finished", timeout=60,
                 message="the embedded worker to answer the ping")
        assert "answered" in c.get("/dashboard").text


def test_secret_key_is_required_outside_the_embedded_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(REDIS_URL="redis://127.0.0.1:6379/0", EVALHUB_DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "routes"], cwd=str(BASE_DIR),
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
