"""With CSRF on (as in production), a form post without the token fails and changes nothing."""
from tests.apps import csrf_token_in, make_app
import pytest

from app.extensions import db


@pytest.fixture
def csrf_app(app, session_env):
    application = make_app(session_env, WTF_CSRF_ENABLED=True)
    with application.app_context():
        yield application
        db.session.remove()


def test_post_without_csrf_token_fails(csrf_app, make_user):
    make_user("alice")
    c = csrf_app.test_client()
    r = c.post("/login", data={"username": "alice", "password": "correct-horse"})
    assert r.status_code == 400
    assert c.get("/dashboard").status_code == 302


def test_post_with_csrf_token_succeeds_and_logout_needs_it(csrf_app, make_user):
    make_user("alice")
    c = csrf_app.test_client()
    page = c.get("/login").data
    token = csrf_token_in(page)
    assert c.post("/login", data={"username": "alice", "password": "correct-horse",
                                  "csrf_token": token}).status_code == 302
    assert c.post("/logout").status_code == 400  # a cross-site "sign out" does nothing
    assert c.get("/dashboard").status_code == 200


def test_api_needs_no_csrf_token(csrf_app, make_user):
    from app.services import tokens
    _t, value = tokens.create_token(make_user("alice"), "ci")
    r = csrf_app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})
    assert r.status_code == 200
