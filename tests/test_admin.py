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


def test_audit_log_names_each_object_and_links_it_while_it_exists(client, admin, make_user, fake_llm):
    from tests.models_helpers import make_model
    from app.services import endpoints
    client.post("/profile/password", data={"pw-old_password": "correct-horse", "pw-new_password": "battery-staple-9",
                                           "pw-confirm": "battery-staple-9"})
    system = make_model(admin, fake_llm, name="Shared GPT", system=True)
    gone = make_model(admin, fake_llm, name="Old model", system=True)
    endpoints.delete(gone, admin)
    bob = make_user("bob")
    private = make_model(bob, fake_llm, name="Bob private")
    page = client.get("/admin/audit").data.decode()
    assert "localproxy" not in page and "modelendpoint" not in page
    assert f'href="/models/{system.id}/edit">Shared GPT</a>' in page
    assert "Old model" in page and f'href="/models/{gone.id}/edit"' not in page  # deleted: named, not linked
    assert "Bob private" in page and f'href="/models/{private.id}/edit"' not in page  # not the admin's to open
    assert 'href="/admin/users">root</a>' in page  # the password change names its user
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.password_change")).all()
    assert [e.target_type for e in events] == ["user"]
