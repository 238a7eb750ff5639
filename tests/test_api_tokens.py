"""API tokens: creation on the profile page and the CLI, bearer auth on /api/v1/me, revocation."""
import re

import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken


def create_token(client, name="ci"):
    r = client.post("/profile/tokens", data={"tok-name": name})
    assert r.status_code == 200
    return re.search(rb"data-new-token>([^<]+)<", r.data).group(1).decode()


def test_token_auth_on_me(client, user):
    value = create_token(client)
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})
    assert r.status_code == 200
    assert r.get_json()["username"] == "alice" and r.get_json()["role"] == "user"
    token = db.session.scalar(sa.select(ApiToken))
    assert token.last_used_at is not None
    assert token.token_hash != value and value not in token.prefix


def test_last_use_is_stamped_at_most_once_a_minute(client, user):
    from datetime import timedelta
    from app.services import tokens
    headers = {"Authorization": f"Bearer {create_token(client)}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    first = token.last_used_at
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.refresh(token)
    assert token.last_used_at == first  # no write on every call
    token.last_used_at = first - tokens.STAMP_EVERY - timedelta(seconds=1)  # as if last used over a minute ago
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.session.refresh(token)
    assert token.last_used_at >= first  # stamped again (MariaDB keeps whole seconds)


def test_token_is_shown_once(client, user):
    value = create_token(client)
    assert value.encode() not in client.get("/profile").data


def test_missing_and_malformed_tokens(client):
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    body = r.get_json()["error"]
    assert body["code"] == "unauthorized" and "Bearer" in body["message"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer ehk_nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_revoked_token_is_refused(client, user):
    value = create_token(client)
    token = db.session.scalar(sa.select(ApiToken))
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 302
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})
    assert r.status_code == 401 and "revoked" in r.get_json()["error"]["message"]


def test_cannot_revoke_someone_elses_token(app, client, user, make_user):
    from app.services import tokens
    bob = make_user("bob")
    token, value = tokens.create_token(bob, "bobs")
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 404
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 200


def test_token_of_deactivated_user_is_refused(client, make_user):
    from app.services import tokens
    bob = make_user("bob")
    _token, value = tokens.create_token(bob, "bobs")
    bob.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401


def test_token_name_is_required(client, user):
    r = client.post("/profile/tokens", data={"tok-name": ""})
    assert r.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_cli_creates_users_and_tokens(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "ci-bot", "--password-stdin"], input="bot-password-1\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "ops", "--admin", "--password-stdin"], input="ops-password-1\n")
    assert "admin" in result.output
    result = runner.invoke(args=["tokens", "create", "ci-bot", "pipeline"])
    assert result.exit_code == 0
    value = result.output.strip()
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})
    assert r.get_json()["username"] == "ci-bot"
    assert runner.invoke(args=["tokens", "create", "ghost", "x"]).exit_code != 0
    dup = runner.invoke(args=["users", "create", "ops", "--password-stdin"], input="ops-password-1\n")
    assert dup.exit_code != 0 and "taken" in dup.output


def test_openapi_document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    assert "/me" in doc["paths"] and doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_api_errors_are_json(client, user):
    value = create_token(client)
    r = client.get("/api/v1/nothing-here", headers={"Authorization": f"Bearer {value}"})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_password_change_revokes_tokens_and_says_so(client, user):
    value = create_token(client)
    assert b"revokes all your API tokens" in client.get("/profile").data
    r = client.post("/profile/password", data={"pw-old_password": "correct-horse", "pw-new_password": "new-secret-99",
                                               "pw-confirm": "new-secret-99"}, follow_redirects=True)
    assert b"your API tokens are revoked" in r.data
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401
    assert db.session.scalar(sa.select(ApiToken)).revoked


def test_admin_reset_revokes_tokens_and_says_so(app, make_user):
    from app.services import tokens
    make_user("root", role="admin")
    bob = make_user("bob")
    _token, value = tokens.create_token(bob, "bobs")
    admin = app.test_client()
    admin.post("/login", data={"username": "root", "password": "correct-horse"})
    r = admin.post(f"/admin/users/{bob.id}/reset-password")
    assert r.status_code == 200 and b"their API tokens revoked" in r.data
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401


def test_profile_shows_the_authorization_header_with_its_placeholder(client, user):
    page = client.get("/profile").data.decode()
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in page and "<token>" not in page
