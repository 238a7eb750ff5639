"""REST API of the dataset registry: upload, read, rows, edits, export, isolation, permissions."""
import csv
import io
import json

import pytest

from app.services.datasets import iter_rows
from tests.datasets_helpers import (MCQ_ROWS, QA_ROWS, csv_bytes, current_row, jsonl_bytes, make_dataset,
                                    stored_counts, upload_api)


def test_upload_list_get_and_rows(client, user, api_headers):
    h = api_headers(user)
    r = upload_api(client, h, csv_bytes(QA_ROWS), "qa.csv", name="QA via API", fmt="qa", split="val",
                   description="three questions")
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["format"] == "qa" and created["rows"] == 3 and created["current_version"] == 1
    assert created["dataset_info"]["splits"] == {"val": 3} and created["versions"][0]["version"] == 1
    listing = client.get("/api/v1/datasets", headers=h).get_json()
    assert listing["total"] == 1 and listing["items"][0]["name"] == "QA via API"
    did = created["id"]
    assert client.get(f"/api/v1/datasets/{did}", headers=h).get_json()["description"] == "three questions"
    rows = client.get(f"/api/v1/datasets/{did}/rows?subset=lit&per_page=1&page=2", headers=h).get_json()
    assert rows["total"] == 2 and rows["pages"] == 2 and rows["version"] == 1
    assert [r["answer"] for r in rows["items"]] == ["李白"]
    found = client.get(f"/api/v1/datasets/{did}/rows?q=hamlet", headers=h).get_json()
    assert [r["id"] for r in found["items"]] == ["1"] and found["items"][0]["row_id"] > 0
    assert client.get(f"/api/v1/datasets/{did}/rows?page=9", headers=h).get_json()["items"] == []


def test_a_bad_upload_answers_422_listing_each_line(client, user, api_headers):
    rows = [MCQ_ROWS[0], {**MCQ_ROWS[1], "answer": ""}, {**MCQ_ROWS[2], "A": ""}, {**MCQ_ROWS[3], "question": ""}]
    r = upload_api(client, api_headers(user), jsonl_bytes(rows), "bad.jsonl")
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "invalid_file" and error["message"] == "3 problems; nothing was stored."
    assert error["fields"]["file"] == ["line 2: missing answer",
                                       "line 3: option A is empty but a later option is set; "
                                       "answer letter A is not among the options (B–D)",
                                       "line 4: empty question"]
    assert stored_counts() == (0, 0)


def test_upload_field_errors(client, user, api_headers):
    h = api_headers(user)
    r = client.post("/api/v1/datasets", data={"name": "x", "format": "qa"}, headers=h)
    assert r.status_code == 422 and "file" in r.get_json()["error"]["fields"]
    r = upload_api(client, h, jsonl_bytes(MCQ_ROWS), "a.jsonl", fmt="yesno")
    assert r.status_code == 422 and "format" in r.get_json()["error"]["fields"]
    upload_api(client, h, jsonl_bytes(MCQ_ROWS), "a.jsonl", name="Twice")
    r = upload_api(client, h, jsonl_bytes(MCQ_ROWS), "a.jsonl", name="Twice")
    assert r.status_code == 409 and "name" in r.get_json()["error"]["fields"]


def test_an_upload_over_the_limit_answers_413_json(app, client, user, api_headers):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    r = upload_api(client, api_headers(user), b"x" * 20_000, "big.jsonl", fmt="qa")
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"
    assert stored_counts() == (0, 0)


def test_add_edit_delete_rows_and_read_old_versions(client, user, api_headers):
    h = api_headers(user)
    dataset = make_dataset(user)
    base = f"/api/v1/datasets/{dataset.id}"
    r = client.post(f"{base}/rows", json={"id": "q9", "subset": "math", "split": "test", "question": "1+1?",
                                          "A": "2", "B": "3", "answer": "a"}, headers=h)
    assert r.status_code == 201 and r.get_json()["version"] == 2 and r.get_json()["row"]["answer"] == "A"
    row_id = current_row(dataset, "q1").id
    r = client.patch(f"{base}/rows/{row_id}", json={"question": "What is 2 + 2, exactly?"}, headers=h)
    assert r.status_code == 200 and r.get_json()["version"] == 3
    new_id = r.get_json()["row"]["row_id"]
    assert new_id != row_id and r.get_json()["row"]["B"] == "4"
    assert client.patch(f"{base}/rows/{row_id}", json={"question": "stale"}, headers=h).status_code == 409
    r = client.patch(f"{base}/rows/{new_id}", json={"answer": "Z"}, headers=h)
    assert r.status_code == 422 and "not an option letter" in r.get_json()["error"]["message"]
    assert client.delete(f"{base}/rows/{new_id}", headers=h).get_json() == {"version": 4}
    assert client.post(f"{base}/subsets/rename", json={"from": "geo", "to": "world"},
                       headers=h).get_json() == {"version": 5}
    v1 = client.get(f"{base}/rows?version=1", headers=h).get_json()
    assert v1["items"][0]["question"] == "What is 2 + 2?" and v1["total"] == 4
    v5 = client.get(f"{base}/rows", headers=h).get_json()
    assert [r["id"] for r in v5["items"]] == ["q2", "q3", "q4", "q9"] and v5["items"][1]["subset"] == "world"
    detail = client.get(base, headers=h).get_json()
    assert [v["version"] for v in detail["versions"]] == [5, 4, 3, 2, 1]
    assert list(iter_rows(dataset, 3))[0]["question"] == "What is 2 + 2, exactly?"


def test_export_as_jsonl_and_csv(client, user, api_headers):
    h = api_headers(user)
    dataset = make_dataset(user, rows=QA_ROWS, fmt="qa")
    r = client.get(f"/api/v1/datasets/{dataset.id}/export?format=jsonl", headers=h)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/x-ndjson")
    assert json.loads(r.data.decode().splitlines()[2])["answer"] == "李白"
    r = client.get(f"/api/v1/datasets/{dataset.id}/export?format=csv&version=1", headers=h)
    rows = list(csv.DictReader(io.StringIO(r.data.decode())))
    assert [x["question"] for x in rows][0] == "Who wrote Hamlet?" and rows[2]["context"] == "唐诗"


def test_users_are_isolated(client, user, make_user, api_headers):
    dataset = make_dataset(user, name="Private")
    row_id = current_row(dataset, "q1").id
    bob = api_headers(make_user("bob"))
    assert client.get("/api/v1/datasets", headers=bob).get_json()["total"] == 0
    base = f"/api/v1/datasets/{dataset.id}"
    for method, path in (("get", base), ("get", f"{base}/rows"), ("get", f"{base}/export"),
                         ("delete", base), ("post", f"{base}/rows"), ("patch", f"{base}/rows/{row_id}"),
                         ("delete", f"{base}/rows/{row_id}"), ("post", f"{base}/subsets/rename")):
        r = getattr(client, method)(path, json={"question": "mine now"}, headers=bob)
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found", (method, path)
    assert dataset.current_version == 1 and dataset.deleted_at is None


@pytest.mark.parametrize("call", ["patch", "delete_row", "add", "delete"])
def test_system_datasets_are_read_only_for_non_admins(client, user, make_user, api_headers, call):
    admin = make_user("root", role="admin")
    dataset = make_dataset(admin, system=True, name="Shared")
    row_id = current_row(dataset, "q1").id
    base = f"/api/v1/datasets/{dataset.id}"
    h = api_headers(user)
    assert client.get(f"{base}/rows", headers=h).get_json()["total"] == 4
    request = {"patch": ("patch", f"{base}/rows/{row_id}"), "delete_row": ("delete", f"{base}/rows/{row_id}"),
               "add": ("post", f"{base}/rows"), "delete": ("delete", base)}[call]
    r = getattr(client, request[0])(request[1], json={"question": "x"}, headers=h)
    assert r.status_code == 403
    r = getattr(client, request[0])(request[1], json={"question": "Admin edit?", "answer": "A", "A": "a",
                                                      "B": "b"}, headers=api_headers(admin))
    assert r.status_code in (200, 201, 204)


def test_requires_a_token_and_is_documented(client):
    assert client.get("/api/v1/datasets").status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/datasets", "/datasets/{dataset_id}/rows", "/datasets/{dataset_id}/rows/{row_id}",
            "/datasets/{dataset_id}/export"} <= set(spec["paths"])
    assert "multipart/form-data" in spec["paths"]["/datasets"]["post"]["requestBody"]["content"]
