"""A model's API key never appears in a page, an API response or a log line."""
import logging

from tests.models_helpers import SECRET_KEY_VALUE, make_model


def test_the_key_never_leaves_the_server(app, client, admin, api_headers, fake_llm, caplog):
    caplog.set_level(logging.DEBUG)
    fake_llm.api_key = "sk-other"  # the check fails with 401: error paths must not leak it either
    h = api_headers(admin)
    r = client.post("/api/v1/models", json={"name": "m1", "base_url": fake_llm.base_url, "model_name": "echo",
                                            "api_key": SECRET_KEY_VALUE}, headers=h)
    mid = r.get_json()["id"]
    system = make_model(admin, fake_llm, name="sys", system=True, api_key=SECRET_KEY_VALUE)
    seen = [r.data]
    for path in ("/models/", f"/models/{mid}/edit", f"/models/{system.id}/edit", "/dashboard", "/admin/audit"):
        seen.append(client.get(path).data)
    seen.append(client.post(f"/models/{mid}/check", follow_redirects=True).data)
    for path in ("/api/v1/models", f"/api/v1/models/{mid}"):
        seen.append(client.get(path, headers=h).data)
    seen.append(client.post(f"/api/v1/models/{mid}/check", headers=h).data)
    seen.append(client.patch(f"/api/v1/models/{mid}", json={"notes": "x"}, headers=h).data)
    client.post(f"/models/{mid}/edit", data={"name": "m1", "base_url": "not a url", "model_name": "echo",
                                             "api_key": SECRET_KEY_VALUE})  # re-rendered form after an error
    seen.append(client.post(f"/models/{mid}/edit", data={"name": "m1", "base_url": "nope", "model_name": "echo",
                                                         "api_key": SECRET_KEY_VALUE}).data)
    for blob in seen:
        assert SECRET_KEY_VALUE.encode() not in blob
    assert SECRET_KEY_VALUE[:-4] not in caplog.text
    # the key did reach the model server, where it belongs
    assert any(req["headers"].get("authorization") == f"Bearer {SECRET_KEY_VALUE}" for req in fake_llm.requests)
