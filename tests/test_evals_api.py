"""REST API of evaluations: submit and poll, samples, cancel/resume, export, the EvalScope-style body."""
import csv
import io

import pytest

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


def test_evalscope_style_body_waits_for_the_result(client, user, worker, fake_llm, api_headers):
    h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    r = client.post("/api/v1/eval", json={"model": "MCQ bot", "datasets": ["Known MCQ"], "limit": 5,
                                          "eval_batch_size": 2, "generation_config": {"temperature": 0},
                                          "wait": True}, headers=api_headers(user))
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "succeeded" and body["params"]["concurrency"] == 2
    assert body["summary"]["overall"]["scored"] == 9  # 5 of "arith" (limit per subset) and the 4 of "logic"
    r = client.post("/api/v1/eval", json={"model": "MCQ bot", "datasets": ["No such set"]},
                    headers=api_headers(user))
    assert r.status_code == 422 and "No such set" in r.get_json()["error"]["message"]


def test_cancel_through_the_api(client, user, fake_llm, api_headers):
    m = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    d = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    hd = api_headers(user)
    run_id = client.post("/api/v1/evals", json={"model_id": m.id, "datasets": [{"dataset_id": d.id}]},
                         headers=hd).get_json()["id"]
    r = client.post(f"/api/v1/evals/{run_id}/cancel", headers=hd)  # no worker in this test: it is still queued
    assert r.status_code == 202 and r.get_json()["status"] == "cancelled"
    assert client.get(f"/api/v1/evals/{run_id}", headers=hd).get_json()["status"] == "cancelled"
