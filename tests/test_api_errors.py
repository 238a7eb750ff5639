"""Every API error is JSON, and bad input is refused (422/404) without a 500 and without changing anything."""
import pytest

from tests import evals_helpers as h


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.data[:300]
    assert response.is_json, response.data[:300]
    return response.get_json()["error"]


@pytest.fixture
def setup(user, fake_llm, api_headers):
    model = h.model(user, fake_llm, "MCQ bot", "mcq-bot", reply=h.mcq_reply)
    dataset = h.dataset(user, h.mcq_rows(), "mcq", "Known MCQ")
    return model, dataset, api_headers(user)


@pytest.mark.parametrize("extra, field", [
    ({"timeout": "abc", "wait": True}, "timeout"),
    ({"generation_config": "x"}, "generation_config"),
    ({"datasets": 5}, "datasets"),
    ({"datasets": [["Known MCQ"]]}, "datasets"),
])
def test_evalscope_style_body_with_bad_fields_is_refused_before_anything_is_created(client, setup, extra, field):
    _model, _dataset, hd = setup
    body = {"model": "MCQ bot", "datasets": ["Known MCQ"], **extra}
    assert field in error_of(client.post("/api/v1/eval", json=body, headers=hd), 422)["fields"]
    assert h.count_runs() == 0


@pytest.mark.parametrize("selection", [{"subsets": [["x"]]}, {"subsets": "arith"}, {"split": ["x"]},
                                       {"split": {"a": 1}}])
def test_malformed_subsets_or_split_are_refused(client, setup, selection):
    model, dataset, hd = setup
    body = {"model_id": model.id, "datasets": [{"dataset_id": dataset.id, **selection}]}
    assert "datasets" in error_of(client.post("/api/v1/evals", json=body, headers=hd), 422)["fields"]
    assert h.count_runs() == 0


@pytest.mark.parametrize("field", ["engine", "judge_prompt"])
@pytest.mark.parametrize("value", [["x"], {"a": 1}, 5, True])
def test_wrongly_typed_engine_or_judge_prompt_is_refused(client, setup, field, value):
    model, dataset, hd = setup
    body = {"model_id": model.id, "judge_id": model.id, "datasets": [{"dataset_id": dataset.id}], field: value}
    assert field in error_of(client.post("/api/v1/evals", json=body, headers=hd), 422)["fields"]
    assert h.count_runs() == 0


def test_integers_beyond_64_bits_name_nothing(client, setup):
    _model, dataset, hd = setup
    huge = "99999999999999999999"
    error_of(client.get(f"/api/v1/datasets/{dataset.id}/export?version={huge}", headers=hd), 404)
    error_of(client.get(f"/api/v1/datasets/{dataset.id}/rows?version={huge}", headers=hd), 404)
    error_of(client.get(f"/api/v1/evals/{huge}", headers=hd), 404)
    assert client.get(f"/datasets/{dataset.id}?version={huge}").status_code == 404  # the page too


def test_http_errors_on_the_api_are_json(app, client, setup):
    _model, _dataset, hd = setup
    assert error_of(client.get("/api/v1/no-such-route", headers=hd), 404)["code"] == "not_found"
    assert error_of(client.delete("/api/v1/me", headers=hd), 405)["code"] == "method_not_allowed"
    bad = client.post("/api/v1/evals", data="{not json", content_type="application/json", headers=hd)
    assert error_of(bad, 400)["code"] == "bad_request"
    app.config["MAX_CONTENT_LENGTH"] = 1000
    big = client.post("/api/v1/evals", data="x" * 5000, content_type="application/json", headers=hd)
    assert error_of(big, 413)["message"]
