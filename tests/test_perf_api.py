"""The benchmark API: the form as JSON, EvalScope's own service body, wait=true, list, read, cancel, isolation."""
import sqlalchemy as sa

from app.extensions import db
from app.models import ModelEndpoint, PerfRun
from tests import perf_helpers as h

KEY = "sk-perf-SECRET-0123456789"


def test_evalscope_body_with_wait_runs_to_the_end(client, user, worker, fake_llm, api_headers):
    h.allow_loopback()
    fake_llm.add_model("perf-api", ttft=0.05, token_delay=0.01, reply="a b c d e f g h")
    body = {"model": "perf-api", "url": fake_llm.base_url + "/chat/completions", "api": "openai", "api_key": KEY,
            "number": [3, 3], "parallel": [1, 2], "rate": -1, "dataset": "random", "max_tokens": 16,
            "temperature": 0.0, "stream": True, "sleep_interval": 0, "wait": True}
    r = client.post("/api/v1/perf", json=body, headers=api_headers(user))
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    assert data["status"] == "succeeded", data["error"]
    assert [lv["concurrency"] for lv in data["levels"]] == [1, 2]
    assert data["levels"][0]["succeeded"] == 3 and data["levels"][0]["ttft_ms"]["avg"] >= 45
    assert KEY not in r.get_data(as_text=True)
    # the model was registered for the user, its key encrypted; every request carried it
    endpoint = db.session.scalar(sa.select(ModelEndpoint).where(ModelEndpoint.model_name == "perf-api"))
    assert endpoint.owner_id == user.id and endpoint.api_key_last4 == KEY[-4:] and data["model"]["id"] == endpoint.id
    chats = [q for q in fake_llm.requests if q["path"].endswith("/chat/completions")]
    assert len(chats) == 7 and all(q["headers"]["authorization"] == f"Bearer {KEY}" for q in chats)
    # the work directory holds no key
    run = db.session.get(PerfRun, data["id"])
    from pathlib import Path
    for path in Path(run.work_dir).rglob("*"):
        if path.is_file() and path.suffix in (".json", ".txt", ".log", ".html"):
            assert KEY not in path.read_text(errors="replace"), path

    # read, list, filter, cancel a finished one
    one = client.get(f"/api/v1/perf/{data['id']}", headers=api_headers(user)).get_json()
    assert one["levels"][1]["req_per_s"] > 0 and one["params"]["concurrency"] == [1, 2]
    listing = client.get("/api/v1/perf?status=succeeded", headers=api_headers(user)).get_json()
    assert listing["total"] == 1 and "levels" not in listing["items"][0]
    assert client.get("/api/v1/perf?status=failed", headers=api_headers(user)).get_json()["total"] == 0
    r = client.post(f"/api/v1/perf/{data['id']}/cancel", headers=api_headers(user))
    assert r.status_code == 409 and "already finished" in r.get_json()["error"]["message"]


def test_form_json_submits_and_a_queued_run_cancels(client, user, fake_llm, api_headers):
    m = h.known_model(user, fake_llm)
    # no worker serves this test: the run stays queued
    headers = api_headers(user)
    r = client.post("/api/v1/perf", json={"endpoint_id": m.id, "concurrency": [1, 4, 16], "number": 8,
                                          "stream": False, "rate": 2.5}, headers=headers)
    assert r.status_code == 201, r.get_json()
    run = r.get_json()
    assert run["status"] == "queued" and run["params"]["number"] == [8, 8, 8] and run["params"]["rate"] == 2.5
    assert run["params"]["stream"] is False and run["params"]["prompt_source"] == "synthetic"
    assert not run["waiting"] and run["status_note"] is None
    r = client.post(f"/api/v1/perf/{run['id']}/cancel", headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "cancelled"
    assert db.session.get(PerfRun, run["id"]).status == "cancelled"


def test_invalid_bodies_answer_422_with_fields(client, user, fake_llm, api_headers):
    m = h.known_model(user, fake_llm)
    headers = api_headers(user)
    cases = [
        ({"endpoint_id": m.id, "concurrency": [0, 2]}, "concurrency"),
        ({"endpoint_id": m.id, "concurrency": [1, 1]}, "concurrency"),
        ({"endpoint_id": m.id, "concurrency": [1, 2], "number": [5, 5, 5]}, "number"),
        ({"endpoint_id": m.id, "max_tokens": "many"}, "max_tokens"),
        ({"endpoint_id": m.id, "prompt_source": "dataset"}, "dataset_id"),
        ({"endpoint_id": m.id, "bogus": 1}, "bogus"),
        ({"endpoint_id": 99999}, "endpoint_id"),
        ({"model": "x", "url": "ftp://nowhere"}, "url"),
        ({"model": "x", "url": fake_llm.base_url, "api": "dashscope"}, "api"),
        ({"model": "x", "url": fake_llm.base_url, "dataset": "openqa"}, "dataset"),
        ({"model": "x", "url": fake_llm.base_url, "parallel": [1, 2], "number": [1, 2, 3]}, "number"),
        ({"model": "x", "url": fake_llm.base_url, "debug": True}, "debug"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/perf", json=body, headers=headers)
        assert r.status_code == 422, (body, r.get_json())
        assert field in r.get_json()["error"]["fields"], (body, r.get_json())
    # invalid EvalScope bodies register no model
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModelEndpoint)) == 1
    assert client.post("/api/v1/perf", data="nope", headers=headers).status_code == 400
    assert client.post("/api/v1/perf", json={"endpoint_id": m.id}).status_code == 401


def test_evalscope_body_reuses_a_matching_model(client, user, fake_llm, api_headers):
    m = h.known_model(user, fake_llm)
    r = client.post("/api/v1/perf", json={"model": m.model_name, "url": fake_llm.base_url + "/chat/completions",
                                          "parallel": 2, "number": 4}, headers=api_headers(user))
    assert r.status_code == 201 and r.get_json()["model"]["id"] == m.id
    assert r.get_json()["params"]["concurrency"] == [2]


def test_other_users_runs_are_404(client, user, make_user, fake_llm, api_headers):
    m = h.known_model(user, fake_llm)
    run = h.row(user, m)
    bob = make_user("bob")
    headers = api_headers(bob)
    assert client.get(f"/api/v1/perf/{run.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/perf/{run.id}/cancel", headers=headers).status_code == 404
    assert client.get("/api/v1/perf", headers=headers).get_json()["total"] == 0
    r = client.post("/api/v1/perf", json={"endpoint_id": m.id}, headers=headers)  # alice's model
    assert r.status_code == 422 and "endpoint_id" in r.get_json()["error"]["fields"]
    assert h.fresh(run.id).status == "succeeded"
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/perf", "/perf/{id}", "/perf/{id}/cancel"} <= set(paths)
