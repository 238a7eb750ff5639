"""Admin pages: users and the audit log."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, User


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_admin_pages_answer_403_to_users(client, user, path):
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_admin_pages_send_anonymous_visitors_to_login(client, path):
    r = client.get(path)
    assert r.status_code == 302 and "/login" in r.location


def test_admin_posts_answer_403_to_users(client, user, make_user):
    bob = make_user("bob")
    assert client.post(f"/admin/users/{bob.id}/active", data={"active": "0"}).status_code == 403
    assert client.post("/admin/users", data={"username": "x", "password": "pppppppp1"}).status_code == 403
    assert db.session.get(User, bob.id).active


def test_admin_creates_a_user_who_can_sign_in(app, client, admin):
    r = client.post("/admin/users", data={"username": "carol", "password": "carol-pass-1", "role": "user"})
    assert r.status_code == 302
    assert b"carol" in client.get("/admin/users").data
    other = app.test_client()
    assert other.post("/login", data={"username": "carol", "password": "carol-pass-1"}).status_code == 302


def test_create_user_validates(client, admin, make_user):
    make_user("dave")
    r = client.post("/admin/users", data={"username": "dave", "password": "long-enough-1", "role": "user"})
    assert r.status_code == 400 and b"is taken" in r.data
    r = client.post("/admin/users", data={"username": "bad name!", "password": "long-enough-1", "role": "user"})
    assert r.status_code == 400 and b"Letters, digits" in r.data
    r = client.post("/admin/users", data={"username": "erin", "password": "short", "role": "user"})
    assert r.status_code == 400 and b"at least 8" in r.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_deactivate_and_activate(app, client, admin, make_user):
    bob = make_user("bob")
    client.post(f"/admin/users/{bob.id}/active", data={"active": "0"})
    db.session.refresh(bob)
    assert not bob.active
    assert app.test_client().post("/login", data={"username": "bob", "password": "correct-horse"}).status_code == 401
    client.post(f"/admin/users/{bob.id}/active", data={"active": "1"})
    db.session.refresh(bob)
    assert bob.active


def test_admin_cannot_deactivate_self(client, admin):
    r = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert b"cannot deactivate your own account" in r.data
    db.session.refresh(admin)
    assert admin.active


def test_reset_password_shows_a_new_one_once(app, client, admin, make_user):
    import re
    bob = make_user("bob")
    r = client.post(f"/admin/users/{bob.id}/reset-password")
    assert r.status_code == 200
    password = re.search(rb'data-new-password>([^<]+)<', r.data).group(1).decode()
    assert app.test_client().post("/login", data={"username": "bob", "password": password}).status_code == 302
    assert password.encode() not in client.get("/admin/users").data


def test_unknown_user_is_404(client, admin):
    assert client.post("/admin/users/9999/active", data={"active": "0"}).status_code == 404


def test_audit_log_lists_logins_and_admin_actions(client, admin, make_user):
    bob = make_user("bob")
    client.post(f"/admin/users/{bob.id}/active", data={"active": "0"})
    page = client.get("/admin/audit").data
    for action in (b"login.success", b"user.create", b"user.deactivate"):
        assert b"<code>" + action + b"</code>" in page
    filtered = client.get("/admin/audit?action=user.deactivate").data
    assert b"<code>user.deactivate</code>" in filtered and b"<code>login.success</code>" not in filtered
    actions = {e.action for e in db.session.scalars(sa.select(AuditEvent))}
    assert {"login.success", "user.create", "user.deactivate"} <= actions
