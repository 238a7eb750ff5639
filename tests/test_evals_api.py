"""REST API of evaluations: submit and poll, samples, cancel/resume, export, the EvalScope-style body."""
import csv
import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ModelEndpoint
from app.services import endpoints
from tests import evals_helpers as h
from tests.services import wait_for


def test_submit_poll_samples_export(client, user, worker, fake_llm, api_headers):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    hd = api_headers(user)
    r = client.post("/api/v1/evals", json={"model_id": m.id, "datasets": [{"dataset_id": d.id, "subsets": ["arith"],
                                                                            "limit": 4}]}, headers=hd)
    assert r.status_code == 202 and r.get_json()["requests"] == 4
    run_id = r.get_json()["id"]
    body = wait_for(lambda: (b := client.get(f"/api/v1/evals/{run_id}", headers=hd).get_json())
                    and b["status"] == "succeeded" and b, timeout=120, interval=0.5, message="the run")
    assert body["score"] == pytest.approx(0.75) and body["progress"]["percent"] == 100  # Q0 Q1 Q2 right, Q3 wrong
    assert body["summary"]["datasets"][0]["subsets"][0]["name"] == "arith"
    wrong = client.get(f"/api/v1/evals/{run_id}/samples?verdict=wrong", headers=hd).get_json()
    assert wrong["total"] == 1 and wrong["items"][0]["extracted"] == "C"
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/v1/evals/{run_id}/export?format=csv",
                                                      headers=hd).data.decode())))
    assert len(rows) == 4
    assert client.get(f"/api/v1/evals/{run_id}/export?format=pdf", headers=hd).status_code == 400
    r = client.post(f"/api/v1/evals/{run_id}/resume", headers=hd)
    assert r.status_code == 409  # a succeeded run is not resumable
    listing = client.get("/api/v1/evals?status=succeeded", headers=hd).get_json()
    assert listing["total"] == 1 and client.get("/api/v1/evals?status=failed", headers=hd).get_json()["total"] == 0


def test_validation_errors_name_the_fields(client, user, fake_llm, api_headers):
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    d = h.dataset(user, h.qa_rows(), "qa", "Known QA")
    r = client.post("/api/v1/evals", json={"model_id": m.id, "datasets": [{"dataset_id": d.id, "subsets": ["nope"]}],
                                           "concurrency": 99, "judge_id": m.id, "judge_prompt": "no placeholders"},
                    headers=api_headers(user))
    assert r.status_code == 422
    assert set(r.get_json()["error"]["fields"]) == {"datasets", "concurrency", "judge_prompt"}
    assert h.count_runs() == 0


KEY = "sk-evalscope-SECRET-4242"


def evalscope_body(fake_llm, **fields) -> dict:
    """EvalScope's documented body for its service's /api/v1/eval/invoke, aimed at the fake server."""
    return {"model": "qwen2.5", "api_url": fake_llm.base_url, "api_key": KEY, "datasets": ["Known MCQ"], "limit": 5,
            "eval_batch_size": 64, "generation_config": {"temperature": 0, "max_tokens": 256, "top_k": 20}, **fields}


def test_evalscope_body_runs_and_answers_in_evalscope_fields(client, user, worker, fake_llm, api_headers):
    fake_llm.add_model("qwen2.5", reply=h.mcq_reply)
    fake_llm.api_key = KEY  # requests without the body's key are refused
    h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    r = client.post("/api/v1/eval", json=evalscope_body(fake_llm, wait=True), headers=api_headers(user))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    # EvalScope's fields: 5 of "arith" (limit per subset: Q0-Q4, 4 right) and the 4 of "logic" (Q6-Q9, 2 right)
    assert body["status"] == "completed" and body["task_id"] == str(body["id"]) and "completed" in body["message"]
    report = body["result"]["Known MCQ"]
    assert report["score"] == pytest.approx(6 / 9) and report["metrics"][0]["name"] == "mean_acc"
    assert report["metrics"][0]["categories"][0]["subsets"] == [{"name": "arith", "score": 0.8, "num": 5},
                                                                 {"name": "logic", "score": 0.5, "num": 4}]
    assert "| Known MCQ | mean_acc | arith | 5 | 0.8000 |" in body["table"]
    # the batch size above the model's limit is clamped, and the answer says so
    assert body["params"]["concurrency"] == 4 and "eval_batch_size 64 is above the limit" in body["message"]
    assert "top_k ignored" in body["message"] and body["params"]["max_tokens"] == 256
    # EvalHub's fields too
    assert body["run_status"] == "succeeded" and body["summary"]["overall"]["scored"] == 9
    # the model was registered for the user from api_url and api_key, which every request carried
    model = db.session.get(ModelEndpoint, body["model"]["id"])
    assert model.owner_id == user.id and model.base_url == fake_llm.base_url and model.model_name == "qwen2.5"
    chats = [q for q in fake_llm.requests if q["path"].endswith("/chat/completions")]
    assert len(chats) == 9 and all(q["headers"]["authorization"] == f"Bearer {KEY}" for q in chats)
    assert KEY not in r.get_data(as_text=True)


def test_evalscope_body_matches_only_the_callers_own_models(client, user, make_user, fake_llm, api_headers):
    h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    system = endpoints.create(make_user("root", role="admin"), {"name": "System qwen", "base_url": fake_llm.base_url,
                                           "model_name": "qwen2.5", "api_key": KEY}, system=True)
    hd = api_headers(user)
    r = client.post("/api/v1/eval", json=evalscope_body(fake_llm), headers=hd)  # the system model's key: no match
    assert r.status_code == 202 and r.get_json()["status"] == "ok" and r.get_json()["run_status"] == "queued"
    mine = r.get_json()["model"]["id"]
    assert mine != system.id and db.session.get(ModelEndpoint, mine).owner_id == user.id
    again = client.post("/api/v1/eval", json=evalscope_body(fake_llm, eval_batch_size=2), headers=hd).get_json()
    assert again["model"]["id"] == mine and again["params"]["concurrency"] == 2  # reused, within its limit
    other = client.post("/api/v1/eval", json=evalscope_body(fake_llm, api_key="sk-other"), headers=hd).get_json()
    assert other["model"]["id"] not in (mine, system.id)  # another key: another model of the user's
    by_name = client.post("/api/v1/eval", json={"model": "System qwen", "datasets": "Known MCQ"}, headers=hd)
    assert by_name.status_code == 202 and by_name.get_json()["model"]["id"] == system.id  # EvalHub's name: as before


def test_invalid_evalscope_bodies_name_their_fields_and_register_nothing(client, user, fake_llm, api_headers):
    h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    hd = api_headers(user)
    for change, field in [({"datasets": ["No such set"]}, "datasets"), ({"generation_config": "x"}, "generation_config"),
                          ({"limit": 0.5}, "limit"), ({"eval_batch_size": 0}, "eval_batch_size"),
                          ({"api_url": "ftp://x"}, "api_url"), ({"model": ""}, "model"), ({"work_dir": "/tmp"}, "work_dir"),
                          ({"generation_config": {"temperature": 9}}, "generation_config.temperature"),
                          ({"eval_type": "checkpoint"}, "eval_type")]:
        r = client.post("/api/v1/eval", json=evalscope_body(fake_llm, **change), headers=hd)
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (change, r.get_json())
    r = client.post("/api/v1/eval", json={"model": "Unknown", "datasets": ["Known MCQ"]}, headers=hd)
    assert r.status_code == 422 and "api_url" in r.get_json()["error"]["fields"]["model"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModelEndpoint)) == 0 and h.count_runs() == 0


def test_cancel_through_the_api(client, user, fake_llm, api_headers):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    hd = api_headers(user)
    run_id = client.post("/api/v1/evals", json={"model_id": m.id, "datasets": [{"dataset_id": d.id}]},
                         headers=hd).get_json()["id"]
    r = client.post(f"/api/v1/evals/{run_id}/cancel", headers=hd)  # no worker in this test: it is still queued
    assert r.status_code == 202 and r.get_json()["status"] == "cancelled"
    assert client.get(f"/api/v1/evals/{run_id}", headers=hd).get_json()["status"] == "cancelled"
