"""Jobs run through a real worker process: on the session's Redis (real, or fakeredis over TCP)."""
import pytest

from app.extensions import db
from app.queues import QueueUnavailable
from app.services import jobs
from tests.apps import make_app
from tests.services import wait_for


def test_ping_runs_through_a_real_worker(app, worker, make_user):
    alice = make_user("alice")
    job = jobs.submit_ping(alice)
    state = wait_for(lambda: (s := jobs.job_state(job.id)) and s["status"] in ("finished", "failed") and s,
                     timeout=60, message="the ping job to finish")
    assert state["status"] == "finished", state
    result = state["result"]
    assert result["requested_by"] == "alice"
    assert result["database_users"] == 1  # the worker read the same database
    assert result["worker"].startswith("test-worker-")
    assert jobs.last_ping(alice)["id"] == job.id
    assert app.test_client().get("/health").get_json()["workers"] >= 1


def test_ping_from_the_dashboard(client, user, worker):
    r = client.post("/worker-ping")
    assert r.status_code == 302
    job_id = jobs.last_ping(user)["id"]
    wait_for(lambda: client.get(f"/worker-ping/{job_id}").get_json()["status"] == "finished", timeout=60,
             message="the ping to be answered")
    assert b"answered" in client.get("/dashboard").data


def test_ping_state_of_an_unknown_job_is_404(client, user):
    assert client.get("/worker-ping/does-not-exist").status_code == 404


def test_submitting_with_redis_down_says_so(session_env, make_user):
    app = make_app(session_env, REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        alice = make_user("alice")
        with pytest.raises(QueueUnavailable):
            jobs.submit_ping(alice)
        c = app.test_client()
        c.post("/login", data={"username": "alice", "password": "correct-horse"})
        r = c.post("/worker-ping", follow_redirects=True)
        assert r.status_code == 200 and b"The job queue is unreachable" in r.data
        db.session.remove()
