"""REST API of the model registry: CRUD, the key kept and never returned, isolation, checks."""
from app.extensions import db
from app.models import ModelEndpoint
from app.services import endpoint_client
from tests.models_helpers import SECRET_KEY_VALUE, make_model


def body(fake_llm, **over):
    data = {"name": "api-model", "base_url": fake_llm.base_url, "model_name": "echo", "api_key": SECRET_KEY_VALUE,
            "temperature": 0.2, "max_tokens": 64, "top_p": 0.9, "extra_body": {"top_k": 5},
            "max_concurrency": 2, "judge": True}
    data.update(over)
    return data


def test_crud(client, user, api_headers, fake_llm):
    h = api_headers(user)
    r = client.post("/api/v1/models", json=body(fake_llm), headers=h)
    assert r.status_code == 201
    created = r.get_json()
    assert created["api_key_set"] is True and "api_key" not in created
    assert created["extra_body"] == {"top_k": 5} and created["judge"] is True and created["system"] is False
    mid = created["id"]
    assert client.get("/api/v1/models", headers=h).get_json()["total"] == 1
    r = client.patch(f"/api/v1/models/{mid}", json={"temperature": 1.1}, headers=h)
    assert r.status_code == 200 and r.get_json()["temperature"] == 1.1
    assert endpoint_client.api_key_of(db.session.get(ModelEndpoint, mid)) == SECRET_KEY_VALUE  # kept
    r = client.patch(f"/api/v1/models/{mid}", json={"api_key": None}, headers=h)
    assert r.get_json()["api_key_set"] is False
    assert client.delete(f"/api/v1/models/{mid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/models/{mid}", headers=h).status_code == 404


def test_validation_errors_name_the_fields(client, user, api_headers, fake_llm):
    h = api_headers(user)
    r = client.post("/api/v1/models", json=body(fake_llm, base_url="nope", top_p=5, extra_body=[1], name=""),
                    headers=h)
    assert r.status_code == 422
    fields = r.get_json()["error"]["fields"]
    assert set(fields) == {"base_url", "top_p", "extra_body", "name"}
    r = client.post("/api/v1/models", json=body(fake_llm, colour="red"), headers=h)
    assert r.status_code == 422 and "colour" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/models", data="x", headers=h)
    assert r.status_code == 400
    assert client.get("/api/v1/models", headers=h).get_json()["total"] == 0


def test_isolation(client, user, api_headers, fake_llm, make_user):
    bob = make_user("bob")
    bobs = make_model(bob, fake_llm, name="bob's")
    h = api_headers(user)
    for method, path in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/check")):
        r = getattr(client, method)(f"/api/v1/models/{bobs.id}{path}", json={}, headers=h)
        assert r.status_code == 404, (method, path)
    assert client.get("/api/v1/models", headers=h).get_json()["total"] == 0
    assert db.session.get(ModelEndpoint, bobs.id).deleted_at is None


def test_system_models(client, user, api_headers, fake_llm, make_user):
    boss = make_user("boss", role="admin")
    r = client.post("/api/v1/models", json=body(fake_llm, system=True), headers=api_headers(user))
    assert r.status_code == 403
    r = client.post("/api/v1/models", json=body(fake_llm, system=True), headers=api_headers(boss))
    assert r.status_code == 201 and r.get_json()["system"] is True
    mid = r.get_json()["id"]
    h = api_headers(user)
    assert client.get(f"/api/v1/models/{mid}", headers=h).status_code == 200
    assert client.patch(f"/api/v1/models/{mid}", json={"name": "x"}, headers=h).status_code == 403
    assert client.delete(f"/api/v1/models/{mid}", headers=h).status_code == 403


def test_check(client, user, api_headers, fake_llm):
    model = make_model(user, fake_llm)
    r = client.post(f"/api/v1/models/{model.id}/check", headers=api_headers(user))
    data = r.get_json()
    assert r.status_code == 200 and data["ok"] is True and data["latency_ms"] > 0
    bad = make_model(user, fake_llm, name="bad", model_name="error-404")
    data = client.post(f"/api/v1/models/{bad.id}/check", headers=api_headers(user)).get_json()
    assert data["ok"] is False and "404" in data["message"]


def test_openapi_documents_models(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/models", "/models/{id}", "/models/{id}/check"} <= set(paths)
