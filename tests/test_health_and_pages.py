"""Health check, dashboard, error pages, language and theme."""
from tests.apps import make_app
from app.extensions import db


def test_health_ok(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["db"] == "ok" and body["redis"] == "ok"
    assert isinstance(body["workers"], int)


def test_health_503_when_redis_is_down(session_env):
    app = make_app(session_env, REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        r = app.test_client().get("/health")
        db.session.remove()
    assert r.status_code == 503
    assert r.get_json()["redis"] != "ok" and r.get_json()["status"] == "error"


def test_health_503_when_the_database_is_down(session_env, tmp_path):
    app = make_app(session_env, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    with app.app_context():
        r = app.test_client().get("/health")
    assert r.status_code == 503 and r.get_json()["db"] != "ok"


def test_dashboard_guides_a_new_user(client, user):
    page = client.get("/dashboard").data.decode()
    assert "Getting started" in page and "No ping yet." in page


def test_404_page(client, user):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and b"There is nothing here" in r.data


def test_language_defaults_to_the_browser_and_is_saved_per_user(client, user):
    page = client.get("/dashboard", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).data.decode()
    assert "仪表盘" in page
    client.post("/language", data={"lang": "en", "next": "/dashboard"})
    assert user.locale == "en"
    page = client.get("/dashboard", headers={"Accept-Language": "zh-CN"}).data.decode()
    assert "Dashboard" in page and "仪表盘" not in page
    client.post("/language", data={"lang": "zh"})
    assert "欢迎" in client.get("/dashboard").data.decode()


def test_unsupported_language_is_ignored(client, user):
    client.post("/language", data={"lang": "xx"})
    assert user.locale is None


def test_pages_link_the_built_css_not_a_cdn(client, user):
    page = client.get("/dashboard").data.decode()
    assert "/static/css/app.css" in page and "cdn" not in page.lower()
    assert client.get("/static/css/app.css").status_code == 200
