"""Sign-in, sign-out, throttling, password change, sessions."""
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent


def audit_actions():
    return [e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]


def test_login_logout(client, auth, make_user):
    make_user("alice")
    response = auth.login("alice")
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    assert b"Welcome, alice" in client.get("/dashboard").data
    assert auth.logout().location.endswith("/login")
    assert client.get("/dashboard").status_code == 302
    assert audit_actions() == ["user.create", "login.success", "logout"]


def test_wrong_password_is_refused_and_audited(client, auth, make_user):
    make_user("alice")
    response = auth.login("alice", "wrong-password")
    assert response.status_code == 401
    assert b"Wrong username or password." in response.data
    assert client.get("/dashboard").status_code == 302
    assert audit_actions()[-1] == "login.failure"


def test_unknown_user_gets_the_same_message(auth):
    response = auth.login("nobody", "whatever1")
    assert response.status_code == 401 and b"Wrong username or password." in response.data


def test_repeated_failures_are_throttled(app, auth, make_user):
    make_user("alice")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert auth.login("alice", "bad-password").status_code == 401
    response = auth.login("alice")  # even the right password waits out the lockout
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.data
    assert "login.throttled" in audit_actions()


def test_throttle_ends_after_the_lockout(app, auth, make_user):
    from datetime import timedelta
    make_user("alice")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("alice", "bad-password")
    old = app.config["LOGIN_LOCKOUT_SECONDS"]
    for event in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "login.failure")):
        event.created_at = event.created_at - timedelta(seconds=old + 1)
    db.session.commit()
    assert auth.login("alice").status_code == 302


def test_next_is_followed_only_within_the_site(client, make_user):
    make_user("alice")
    r = client.post("/login?next=/profile", data={"username": "alice", "password": "correct-horse"})
    assert r.location.endswith("/profile")
    client.post("/logout")
    r = client.post("/login?next=https://evil.example/x", data={"username": "alice", "password": "correct-horse"})
    assert r.location.endswith("/dashboard")


def test_deactivated_user_cannot_sign_in_and_is_signed_out(client, auth, make_user):
    alice = make_user("alice")
    auth.login("alice")
    alice.active = False
    db.session.commit()
    assert client.get("/dashboard").status_code == 302  # the live session ends
    response = auth.login("alice")
    assert response.status_code == 401 and b"deactivated" in response.data


def test_change_password(client, auth, user):
    r = client.post("/profile/password", data={"pw-old_password": "correct-horse",
                                               "pw-new_password": "new-secret-99", "pw-confirm": "new-secret-99"})
    assert r.status_code == 302
    assert client.get("/dashboard").status_code == 200  # this session stays signed in
    auth.logout()
    assert auth.login("alice", "correct-horse").status_code == 401
    assert auth.login("alice", "new-secret-99").status_code == 302


def test_change_password_needs_the_old_one(client, user):
    r = client.post("/profile/password", data={"pw-old_password": "not-it-at-all",
                                               "pw-new_password": "new-secret-99", "pw-confirm": "new-secret-99"})
    assert r.status_code == 400 and b"The current password is wrong." in r.data
    assert user.check_password("correct-horse")


def test_change_password_validates_the_new_one(client, user):
    r = client.post("/profile/password", data={"pw-old_password": "correct-horse",
                                               "pw-new_password": "short", "pw-confirm": "short"})
    assert r.status_code == 400 and b"at least 8 characters" in r.data
    r = client.post("/profile/password", data={"pw-old_password": "correct-horse",
                                               "pw-new_password": "long-enough-1", "pw-confirm": "different-22"})
    assert r.status_code == 400 and b"The passwords differ." in r.data
    assert user.check_password("correct-horse")


def test_password_change_signs_out_other_sessions(app, make_user):
    make_user("alice")
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/login", data={"username": "alice", "password": "correct-horse"})
    first.post("/profile/password", data={"pw-old_password": "correct-horse",
                                          "pw-new_password": "new-secret-99", "pw-confirm": "new-secret-99"})
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 302


def test_session_cookie_flags(client, make_user):
    make_user("alice")
    r = client.post("/login", data={"username": "alice", "password": "correct-horse", "remember": "y"})
    cookies = r.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_remember_me_survives_the_session(app, make_user):
    make_user("alice")
    c = app.test_client()
    c.post("/login", data={"username": "alice", "password": "correct-horse", "remember": "y"})
    c.delete_cookie("session")
    assert c.get("/dashboard").status_code == 200


def test_pages_require_login(client):
    for path in ("/dashboard", "/profile", "/admin/users", "/admin/audit"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.location, path


def test_login_page_escapes_the_username(client):
    r = client.post("/login", data={"username": "<script>alert(1)</script>", "password": "x"})
    assert b"<script>alert(1)</script>" not in r.data
    assert b"&lt;script&gt;" in r.data


def test_logout_ends_copied_session_and_remember_cookies(app, make_user):
    make_user("alice")
    c = app.test_client()
    c.post("/login", data={"username": "alice", "password": "correct-horse", "remember": "y"})
    stolen = {name: c.get_cookie(name).value for name in ("session", "remember_token")}
    c.post("/logout")
    for kept in ({"session"}, {"remember_token"}, {"session", "remember_token"}):
        thief = app.test_client()
        for name in kept:
            thief.set_cookie(name, stolen[name])
        assert thief.get("/dashboard").status_code == 302, kept  # sent to the sign-in page
    assert app.test_client().post("/login", data={"username": "alice", "password": "correct-horse"}
                                  ).status_code == 302  # signing in again works


def test_password_change_ends_a_copied_remember_cookie(app, make_user):
    make_user("alice")
    c = app.test_client()
    c.post("/login", data={"username": "alice", "password": "correct-horse", "remember": "y"})
    remember = c.get_cookie("remember_token").value
    c.post("/profile/password", data={"pw-old_password": "correct-horse",
                                      "pw-new_password": "new-secret-99", "pw-confirm": "new-secret-99"})
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert thief.get("/dashboard").status_code == 302


def login_from(client, address: str, username: str, password: str = "correct-horse"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_stranger_cannot_lock_the_owner_out(app, make_user):
    make_user("admin", role="admin")
    stranger, owner = app.test_client(), app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        login_from(stranger, "203.0.113.9", "admin", "guess-guess")
    assert login_from(stranger, "203.0.113.9", "admin").status_code == 429  # the stranger's address is locked
    assert login_from(owner, "198.51.100.7", "admin").status_code == 302  # the owner, elsewhere, is not


def test_password_spraying_is_throttled_by_address(app, make_user):
    make_user("alice")
    sprayer = app.test_client()
    for i in range(app.config["LOGIN_MAX_ADDRESS_FAILURES"]):
        assert login_from(sprayer, "203.0.113.9", f"user{i}", "Summer2024!").status_code == 401
    r = login_from(sprayer, "203.0.113.9", "alice")  # a new name, even the right password: the address waits
    assert r.status_code == 429 and b"Too many failed sign-in attempts" in r.data
    assert login_from(app.test_client(), "198.51.100.7", "alice").status_code == 302


def test_unknown_names_cost_a_password_check_like_known_ones(app, make_user, monkeypatch):
    """No timing oracle: an unknown name is checked against a dummy hash of the configured method."""
    import werkzeug.security
    real, methods = werkzeug.security._hash_internal, []

    def counting(method, salt, password):
        methods.append(method)
        return real(method, salt, password)
    monkeypatch.setattr(werkzeug.security, "_hash_internal", counting)
    make_user("alice")
    login_from(app.test_client(), "192.0.2.1", "nobody", "wrong-password")  # any one-time set-up happens here
    methods.clear()
    login_from(app.test_client(), "198.51.100.7", "alice", "wrong-password")
    known = list(methods)
    methods.clear()
    login_from(app.test_client(), "198.51.100.7", "nobody", "wrong-password")
    assert known == methods == [app.config["PASSWORD_HASH_METHOD"]]
