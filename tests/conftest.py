"""Fixtures of the EvalHub test-suite: ``app``, ``client``, ``auth``, ``make_user``, ``worker``, ``fake_llm``.

One database and one Redis serve the whole session (see tests/services.py); every test starts from empty tables.
"""
from __future__ import annotations

import os
import secrets

import pytest

from app import create_app
from app.extensions import db
from config import TestConfig
from tests import services
from tests.apps import make_app
from tests.fakes.openai_server import FakeOpenAIServer


@pytest.fixture(scope="session")
def session_env(tmp_path_factory):
    """Environment variables that point any process (app, worker, live server) at the session's services."""
    tmp = tmp_path_factory.mktemp("evalhub")
    db_url, drop_db = services.create_database(tmp)
    redis_url, stop_redis = services.start_redis()
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=redis_url, SECRET_KEY="test-secret-key",
               EVALHUB_DATA_DIR=str(tmp / "data"), EVALHUB_LOG_LEVEL="INFO",
               EVALHUB_MAINTENANCE_SECONDS="2", EVALHUB_RUN_DEAD_AFTER_SECONDS="20",
               EVALHUB_ALLOW_PRIVATE_URLS="1")  # the fake model server listens on 127.0.0.1 (workers check it too)
    env.pop("EVALHUB_PARENT_PID", None)
    app = create_app(TestConfig(env))
    with app.app_context():
        from flask_migrate import upgrade
        upgrade(directory=str(services.BASE_DIR / "migrations"))
        db.engine.dispose()
    yield env
    stop_redis()
    drop_db()


@pytest.fixture
def app(session_env):
    """A fresh app on the session's database and Redis; every table is emptied after the test."""
    application = make_app(session_env)
    with application.app_context():
        yield application
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """``make_user(name, password=..., role=...)`` creates a user in the database."""
    from app.services import accounts

    def make(username: str | None = None, password: str = "correct-horse", role: str = "user"):
        return accounts.create_user(username or f"user{secrets.token_hex(3)}", password, role)
    return make


class AuthActions:
    """Sign in and out through the real pages."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "correct-horse", remember: bool = False):
        data = {"username": username, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def user(make_user, auth):
    """A signed-in ordinary user."""
    u = make_user("alice")
    auth.login("alice")
    return u


@pytest.fixture
def admin(make_user, auth):
    """A signed-in admin."""
    u = make_user("root", role="admin")
    auth.login("root")
    return u


@pytest.fixture
def api_headers():
    """``api_headers(user)``: request headers carrying a fresh API token of ``user``."""
    from app.services import tokens

    def headers(for_user) -> dict:
        _token, value = tokens.create_token(for_user, f"test-{secrets.token_hex(3)}")
        return {"Authorization": f"Bearer {value}"}
    return headers


@pytest.fixture(scope="session")
def worker(session_env, tmp_path_factory):
    """A real ``flask --app run worker`` subprocess on the session's Redis and database (restartable)."""
    handle = services.WorkerHandle(session_env, tmp_path_factory.mktemp("worker") / "worker.log")
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def fake_llm_server():
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server):
    """The fake OpenAI-compatible server, reset for each test."""
    fake_llm_server.reset()
    fake_llm_server.api_key = None
    return fake_llm_server


@pytest.fixture
def no_worker(worker):
    """The session's worker stopped meanwhile (its maintenance every 2 s or its queue pop would race the test), and
    the evals queue emptied of jobs earlier tests left: nothing moves."""
    from app.extensions import queues
    worker.stop()
    # A stopped worker's blocking pop may outlive it on the embedded Redis (fakeredis's server) and take the next job
    # pushed: feed it a placeholder first, then empty the queue.
    queues.connection.rpush("rq:queue:evals", "placeholder")
    queues.connection.delete("rq:queue:evals")
    yield
    worker.restart()


@pytest.fixture
def two_workers(session_env, tmp_path, worker):
    """Two workers with data directories of their own; the session's worker stops meanwhile (it would take jobs)."""
    worker.stop()
    handles = [services.WorkerHandle(session_env, tmp_path / f"worker{i}.log", data_dir=tmp_path / f"machine{i}")
               for i in range(2)]
    yield handles
    for handle in handles:
        handle.stop()
    worker.restart()
