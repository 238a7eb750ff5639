"""Leaderboards and paired verdicts end to end: real workers and the fake model server, 200 known questions."""
import pytest

from tests import evals_helpers as h
from tests import leaderboard_helpers as lh


@pytest.fixture
def three_models(user, worker, fake_llm):
    """Models that know the first 140, 143 and 170 of 200 questions (70%, 71.5%, 85%), plus a run of the first
    on a limit of 10 per subset (another sample set)."""
    d = h.dataset(user, lh.rows(), "mcq", "Two hundred")
    p = lh.run_model(user, fake_llm, d, "Model P", 140)
    q = lh.run_model(user, fake_llm, d, "Model Q", 143)
    r = lh.run_model(user, fake_llm, d, "Model R", 170)
    small = lh.run_model(user, fake_llm, d, "Model S", 100, limit=10)
    return d, p, q, r, small


def test_board_ranks_models_with_intervals_containing_the_truth(client, user, api_headers, three_models):
    d, p, q, r, small = three_models
    body = client.get(f"/api/v1/leaderboards/{d.id}", headers=api_headers(user)).get_json()
    rows = {row["model"]: row for row in body["rows"]}
    assert [row["model"] for row in body["rows"]] == ["Model R", "Model Q", "Model P"]
    for name, truth in (("Model P", 0.70), ("Model Q", 0.715), ("Model R", 0.85)):
        row = rows[name]
        assert row["ci"][0] < truth < row["ci"][1] and row["score"] == pytest.approx(truth)
        assert row["n"] == 200 and row["method"] == "wilson" and row["version"] == 1
    # R's interval lies above P's and Q's; P and Q overlap, so they share rank 2
    assert (rows["Model R"]["rank"], rows["Model Q"]["rank"], rows["Model P"]["rank"]) == (1, 2, 2)
    assert [a["run_id"] for a in body["apart"]] == [small.id] and "limit" in body["apart"][0]["reason"]
    even = client.get(f"/api/v1/leaderboards/{d.id}?subset=even", headers=api_headers(user)).get_json()
    assert {row["n"] for row in even["rows"]} == {100} and sorted(even["subsets"]) == ["even", "odd"]
    page = client.get(f"/leaderboards/{d.id}").data.decode()
    assert page.count('data-rank="2"') == 2 and 'data-rank="1"' in page and f'data-apart="{small.id}"' in page
    assert "85.0%" in page and "79.4%" in page  # R's score and its Wilson lower bound (170/200: 0.794)
    assert f"runs={r.id},{q.id},{p.id}" in page.replace("%2C", ",")  # compare the board's runs, best first
    assert "Two hundred" in client.get("/leaderboards/").data.decode()


def test_board_uses_the_latest_run_per_model_or_the_one_picked(client, user, worker, fake_llm, api_headers):
    d = h.dataset(user, lh.rows(20), "mcq", "Twenty")
    first = lh.run_model(user, fake_llm, d, "Model P", 10)
    again = h.finished(h.submit(user, model_id=first.endpoint_id, datasets=[{"dataset_id": d.id}]).id)
    body = client.get(f"/api/v1/leaderboards/{d.id}", headers=api_headers(user)).get_json()
    assert [(row["run_id"], row["other_runs"]) for row in body["rows"]] == [(again.id, [first.id])]
    picked = client.get(f"/api/v1/leaderboards/{d.id}?run={first.id}", headers=api_headers(user)).get_json()
    assert [row["run_id"] for row in picked["rows"]] == [first.id]
    bad = client.get(f"/api/v1/leaderboards/{d.id}?run=x", headers=api_headers(user))
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"]["run"]


def test_paired_verdicts_within_noise_improved_regressed(client, user, api_headers, three_models):
    _d, p, q, r, _small = three_models
    hd = api_headers(user)
    body = client.get(f"/api/v1/evals/compare?runs={p.id},{q.id},{r.id}", headers=hd).get_json()
    pairs = {(x["a"]["run_id"], x["b"]["run_id"]): x for x in body["pairs"]}
    noise = pairs[(p.id, q.id)]  # 3 of 200 differ, all in Q's favour
    assert (noise["only_a"], noise["only_b"], noise["both_right"], noise["both_wrong"]) == (0, 3, 140, 57)
    assert noise["verdict"] == "within noise" and noise["p_value"] == pytest.approx(0.25)
    better = pairs[(p.id, r.id)]  # 30 of 200 differ, all in R's favour
    assert better["verdict"] == "improved" and better["diff"] == pytest.approx(0.15) and better["p_value"] < 0.001
    assert better["diff_ci"][0] > 0 and better["test"] == "mcnemar_exact"
    # asked newer first, the pair still reads older → newer (a regression is tested in test_evals_compare.py)
    same = client.get(f"/api/v1/evals/compare?runs={r.id}&runs={p.id}", headers=hd).get_json()["pairs"][0]
    assert (same["a"]["run_id"], same["b"]["run_id"]) == (p.id, r.id)
    assert same["verdict"] == "improved" and same["diff"] == pytest.approx(0.15)
    page = client.get(f"/evals/compare?runs={p.id}&runs={q.id}&runs={r.id}").data.decode()
    assert f'data-pair="{p.id}-{q.id}" data-verdict="within noise"' in page
    assert f'data-pair="{p.id}-{r.id}" data-verdict="improved"' in page
    assert page.count("data-disagreement") == 30
    for bad in ("", f"{p.id}", "a,b", f"{p.id},{p.id}"):
        r400 = client.get(f"/api/v1/evals/compare?runs={bad}", headers=hd)
        assert r400.status_code == 400 and r400.get_json()["error"]["code"] == "bad_request"


def test_report_chart_is_a_radar_for_3_to_12_subsets_else_bars():
    from app.models import EvalRun
    from app.services import eval_reports

    def chart(n: int):
        subsets = [{"name": f"s{i}", "score": i / 20} for i in range(n)]
        return eval_reports.subset_chart(EvalRun(summary={"datasets": [{"name": "D", "subsets": subsets}]}))
    assert chart(1) is None and chart(2)["type"] == "bar" and chart(13)["type"] == "bar"
    assert chart(3) == {"type": "radar", "labels": ["s0", "s1", "s2"], "scores": [0.0, 5.0, 10.0]}
    assert chart(12)["type"] == "radar"


def test_history_filters_by_dataset_through_the_selection_rows(client, user, worker, fake_llm, api_headers):
    d, other = h.dataset(user, lh.rows(4), "mcq", "Four"), h.dataset(user, lh.rows(6), "mcq", "Six")
    run = lh.run_model(user, fake_llm, d, "Model P", 2)
    assert [(s.dataset_id, s.version, s.subsets, s.split, s.sample_limit) for s in run.selections] == \
        [(d.id, 1, "", None, None)]
    hd = api_headers(user)
    assert [r["id"] for r in client.get(f"/api/v1/evals?dataset={d.id}", headers=hd).get_json()["items"]] == [run.id]
    assert client.get(f"/api/v1/evals?dataset={other.id}", headers=hd).get_json()["total"] == 0


def test_openapi_documents_the_new_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/leaderboards", "/leaderboards/{dataset_id}", "/evals/compare", "/evals/{id}/publish",
                 "/evals/{id}/unpublish"):
        assert path in paths, path
    assert "verdict" in str(paths["/evals/compare"]) or "Comparison" in str(paths["/evals/compare"])
