"""Model registry pages: create, edit (the key stays), validation, delete keeps history, isolation."""
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, ModelEndpoint
from app.services import endpoint_client, endpoints
from tests.models_helpers import SECRET_KEY_VALUE, make_model


def form(fake_llm, **over):
    data = {"name": "My GPT", "base_url": fake_llm.base_url, "model_name": "echo", "api_key": SECRET_KEY_VALUE,
            "temperature": "0.7", "max_tokens": "256", "top_p": "", "extra_body": '{"top_k": 20}',
            "max_concurrency": "8", "judge": "y", "notes": "for tests"}
    data.update(over)
    return data


def only_model():
    return db.session.scalar(sa.select(ModelEndpoint))


def test_create_from_the_form(client, user, fake_llm):
    r = client.post("/models/new", data=form(fake_llm))
    assert r.status_code == 302
    m = only_model()
    assert (m.name, m.model_name, m.temperature, m.max_tokens, m.top_p) == ("My GPT", "echo", 0.7, 256, None)
    assert m.extra_body == {"top_k": 20} and m.judge and m.max_concurrency == 8 and m.owner_id == user.id
    assert m.api_key_encrypted and SECRET_KEY_VALUE not in m.api_key_encrypted
    assert endpoint_client.api_key_of(m) == SECRET_KEY_VALUE
    page = client.get("/models/").data.decode()
    assert "My GPT" in page and SECRET_KEY_VALUE not in page


def test_edit_with_blank_key_keeps_it(client, user, fake_llm):
    client.post("/models/new", data=form(fake_llm))
    m = only_model()
    edit_page = client.get(f"/models/{m.id}/edit").data.decode()
    assert SECRET_KEY_VALUE not in edit_page and "…" + SECRET_KEY_VALUE[-4:] in edit_page
    r = client.post(f"/models/{m.id}/edit", data=form(fake_llm, name="Renamed", api_key=""))
    assert r.status_code == 302
    db.session.refresh(m)
    assert m.name == "Renamed" and endpoint_client.api_key_of(m) == SECRET_KEY_VALUE


def test_edit_can_replace_or_remove_the_key(client, user, fake_llm):
    client.post("/models/new", data=form(fake_llm))
    m = only_model()
    client.post(f"/models/{m.id}/edit", data=form(fake_llm, api_key="sk-new-value-1234"))
    db.session.refresh(m)
    assert endpoint_client.api_key_of(m) == "sk-new-value-1234"
    client.post(f"/models/{m.id}/edit", data=form(fake_llm, api_key="", clear_api_key="y"))
    db.session.refresh(m)
    assert m.api_key_encrypted is None and m.api_key_last4 is None


def test_invalid_input_says_what_is_wrong_and_stores_nothing(client, user, fake_llm):
    r = client.post("/models/new", data=form(fake_llm, base_url="ftp://x", temperature="3",
                                             extra_body="{not json", max_tokens="1.5"))
    page = r.data.decode()
    assert r.status_code == 400
    assert "Enter an http(s) URL" in page and "Must be between 0.0 and 2.0" in page
    assert "Not valid JSON" in page and "Must be a whole number" in page
    assert only_model() is None


def test_names_are_unique_per_owner(client, user, fake_llm, make_user):
    client.post("/models/new", data=form(fake_llm))
    r = client.post("/models/new", data=form(fake_llm))
    assert r.status_code == 400 and "already have a model named" in r.data.decode()
    make_model(make_user("bob"), fake_llm, name="My GPT")  # another user may use the same name
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModelEndpoint)) == 2


def test_delete_keeps_history(client, user, fake_llm):
    m = make_model(user, fake_llm, name="Old model", api_key=SECRET_KEY_VALUE)
    assert client.post(f"/models/{m.id}/delete").status_code == 302
    db.session.refresh(m)
    assert m.deleted_at is not None and m.name == "Old model"  # the row and its name stay for history
    assert m.api_key_encrypted is None  # the secret does not outlive the model
    assert 'data-model="Old model"' not in client.get("/models/").data.decode()
    assert client.get(f"/models/{m.id}/edit").status_code == 404
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "model.delete"))
    assert event.detail == "Old model" and event.target_id == m.id
    make_model(user, fake_llm, name="Old model")  # the name is free again


def test_another_users_model_is_404(app, client, user, fake_llm, make_user):
    bobs = make_model(make_user("bob"), fake_llm, name="Bob's")
    assert client.get(f"/models/{bobs.id}/edit").status_code == 404
    assert client.post(f"/models/{bobs.id}/delete").status_code == 404
    assert client.post(f"/models/{bobs.id}/check").status_code == 404
    assert "Bob&#39;s" not in client.get("/models/").data.decode()
    assert db.session.get(ModelEndpoint, bobs.id).deleted_at is None


def test_system_models_are_shared_but_read_only_for_users(client, user, fake_llm, make_user):
    admin = make_user("boss", role="admin")
    sysm = make_model(admin, fake_llm, name="Shared", system=True)
    page = client.get("/models/").data.decode()
    assert "Shared" in page and "system" in page
    assert client.get(f"/models/{sysm.id}/edit").status_code == 403
    assert client.post(f"/models/{sysm.id}/delete").status_code == 403
    assert client.post(f"/models/{sysm.id}/check").status_code == 302  # using it is fine


def test_admin_creates_a_system_model(client, admin, fake_llm, make_user):
    client.post("/models/new", data=form(fake_llm, name="Company model", system="y"))
    m = only_model()
    assert m.owner_id is None
    bob = make_user("bob")
    assert m in db.session.scalars(endpoints.live_query(bob)).all()


def test_search(client, user, fake_llm):
    make_model(user, fake_llm, name="Alpha")
    make_model(user, fake_llm, name="Beta", model_name="slow-10")
    page = client.get("/models/?q=alp").data.decode()
    assert "Alpha" in page and "Beta" not in page
    assert "Beta" in client.get("/models/?q=slow").data.decode()


def test_outbound_guard_refuses_loopback_until_an_admin_allows_it(session_env, fake_llm, make_user):
    from tests.apps import make_app
    app = make_app(session_env, ALLOW_PRIVATE_URLS=False)
    with app.app_context():
        alice, boss = make_user("alice"), make_user("boss", role="admin")
        c = app.test_client()
        c.post("/login", data={"username": "alice", "password": "correct-horse"})
        r = c.post("/models/new", data=form(fake_llm))
        assert r.status_code == 400 and "private or loopback address" in r.data.decode()
        assert c.get("/admin/settings").status_code == 403
        admin_client = app.test_client()
        admin_client.post("/login", data={"username": "boss", "password": "correct-horse"})
        admin_client.post("/admin/settings", data={"allow_private_urls": "y"})
        assert c.post("/models/new", data=form(fake_llm)).status_code == 302
        admin_client.post("/admin/settings", data={})
        m = only_model()
        r = c.post(f"/models/{m.id}/check", follow_redirects=True)  # checked again at request time
        assert "private or loopback address" in r.data.decode()
        assert alice and boss
