"""Quality × speed × cost: tokens per run (model and judge apart), prices on models, cost per 1,000 samples and the
quality × speed chart on the leaderboard. Real workers and the fake model server, which reports each request's
usage (prompt tokens = words of the messages, completion tokens = words of the reply)."""
import pytest

from app.extensions import db
from app.models import PerfLevel
from app.models.types import utcnow
from app.services import endpoints, run_costs
from tests import evals_helpers as h
from tests import perf_helpers as ph
from tests.evals_helpers import served_tokens
from tests.models_helpers import make_model


def test_run_tokens_cost_and_leaderboard_columns(client, user, worker, fake_llm, api_headers):
    hd = api_headers(user)
    m = h.model(user, fake_llm, "QA bot", "qa-bot-priced", reply=h.qa_reply)
    endpoints.update(m, {"price_input_per_m": "2.5", "price_output_per_m": "10"}, user)
    j = h.model(user, fake_llm, "Judge", "judge-priced", reply=h.judge_reply)
    endpoints.update(j, {"price_input_per_m": "0.5", "price_output_per_m": "1.5"}, user)
    other = h.model(user, fake_llm, "QA bot 2", "qa-bot-unpriced", reply=h.qa_reply)
    d = h.dataset(user, h.qa_rows(), "qa", "Known QA")
    run = h.finished(h.submit(user, model_id=m.id, judge_id=j.id, datasets=[{"dataset_id": d.id}]).id)
    assert run.status == "succeeded", run.error

    body = client.get(f"/api/v1/evals/{run.id}", headers=hd).get_json()
    model_p, model_c = served_tokens(fake_llm, "qa-bot-priced", h.qa_reply)
    judge_p, judge_c = served_tokens(fake_llm, "judge-priced", h.judge_reply)
    assert model_p > 0 and judge_p > model_p  # the judge reads the question, the reference and the answer
    assert body["tokens"] == {"model": {"prompt": model_p, "completion": model_c},
                              "judge": {"prompt": judge_p, "completion": judge_c}, "samples": 4}
    cost = (model_p * 2.5 + model_c * 10 + judge_p * 0.5 + judge_c * 1.5) / 1_000_000
    assert body["cost"] == pytest.approx(cost)
    page = client.get(f"/evals/{run.id}").data.decode()
    assert f"{model_p:,} prompt + {model_c:,} completion" in page and f"{cost:,.4f}" in page

    # the second model has no prices and no benchmark; the first a benchmark at concurrency 1 and 4
    second = h.finished(h.submit(user, model_id=other.id, judge_id=j.id, datasets=[{"dataset_id": d.id}]).id)
    bench = ph.row(user, m, finished_at=utcnow())
    db.session.add_all([PerfLevel(run_id=bench.id, position=0, concurrency=1, number=4, p99_ttft_ms=120.0,
                                  output_tok_per_s=50.0),
                        PerfLevel(run_id=bench.id, position=1, concurrency=4, number=4, p99_ttft_ms=480.0,
                                  output_tok_per_s=150.0)])
    db.session.commit()
    board = client.get(f"/api/v1/leaderboards/{d.id}", headers=hd).get_json()
    rows = {r["model"]: r for r in board["rows"]}
    assert rows["QA bot"]["tokens"] == body["tokens"]
    assert rows["QA bot"]["cost_per_1k"] == pytest.approx(cost / 4 * 1000)
    assert rows["QA bot 2"]["cost_per_1k"] is None  # unknown, never 0
    assert rows["QA bot"]["speed"] == {"metric": "p99_ttft_ms", "concurrency": 1, "value": 120.0,
                                       "perf_run_id": bench.id, "pareto": True}
    assert rows["QA bot 2"]["speed"] is None
    chart = board["quality_speed"]
    assert chart["concurrencies"] == [1, 4] and chart["front"] == [run.id]
    assert [m["model"] for m in chart["missing"]] == ["QA bot 2"]
    fast = client.get(f"/api/v1/leaderboards/{d.id}?speed=output_tps&concurrency=4", headers=hd).get_json()
    assert {r["model"]: r["speed"] and r["speed"]["value"] for r in fast["rows"]} == {"QA bot": 150.0,
                                                                                        "QA bot 2": None}
    for bad in ("speed=fast", "concurrency=0", "concurrency=x"):
        r = client.get(f"/api/v1/leaderboards/{d.id}?{bad}", headers=hd)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"

    page = client.get(f"/leaderboards/{d.id}?speed=output_tps&concurrency=4").data.decode()
    assert 'data-quality-speed="output_tps"' in page and f'data-point="{run.id}" data-pareto="true"' in page
    assert f'data-point="{second.id}"' not in page and "QA bot 2: no succeeded benchmark" in page
    assert f"data-cost>{rows['QA bot']['cost_per_1k']:,.4f}<" in page and "data-cost>—<" in page
    assert "150.0 tok/s" in page
    assert client.get(f"/leaderboards/{d.id}?speed=fast").status_code == 400


def test_cost_is_unknown_without_a_price_or_tokens(user, fake_llm):
    m = make_model(user, fake_llm, "Priced", price_input_per_m=1, price_output_per_m=2)
    j = make_model(user, fake_llm, "Free judge", "echo-judge", price_input_per_m=0, price_output_per_m=0)
    half = make_model(user, fake_llm, "Half priced", "echo-half", price_input_per_m=3)
    known = {"prompt": 1000, "completion": 500}

    def run(model, judge=None):
        from app.models import EvalRun
        return EvalRun(endpoint_id=model.id, judge_endpoint_id=judge and judge.id, judge_name=judge and judge.name)

    ends = {e.id: e for e in (m, j, half)}
    assert run_costs.cost(run(m), {"model": known, "judge": None}, ends) == pytest.approx(0.002)
    assert run_costs.cost(run(m, j), {"model": known, "judge": known}, ends) == pytest.approx(0.002)  # a free judge
    assert run_costs.cost(run(m, half), {"model": known, "judge": known}, ends) is None  # no output price
    assert run_costs.cost(run(half), {"model": known, "judge": None}, ends) is None
    unknown = {"prompt": None, "completion": None}  # an engine that reports no usage (OpenCompass)
    assert run_costs.cost(run(m), {"model": unknown, "judge": None}, ends) is None
    assert run_costs.per_thousand(None, 10) is None and run_costs.per_thousand(0.5, 250) == pytest.approx(2.0)


def test_prices_are_validated_and_kept(client, auth, user, make_user, api_headers, fake_llm):
    hd = api_headers(user)
    base = {"name": "priced", "base_url": fake_llm.base_url, "model_name": "echo"}
    r = client.post("/api/v1/models", json={**base, "price_input_per_m": -1, "price_output_per_m": "ten"},
                    headers=hd)
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"price_input_per_m",
                                                                              "price_output_per_m"}
    r = client.post("/api/v1/models", json={**base, "price_input_per_m": "0.15", "price_output_per_m": 0.6},
                    headers=hd)
    assert r.status_code == 201
    created = r.get_json()
    assert (created["price_input_per_m"], created["price_output_per_m"]) == (0.15, 0.6)
    r = client.patch(f"/api/v1/models/{created['id']}", json={"price_output_per_m": None}, headers=hd)
    assert r.get_json()["price_output_per_m"] is None and r.get_json()["price_input_per_m"] == 0.15
    # a system model's prices: admins only
    admin = make_user("root", role="admin")
    system = make_model(admin, fake_llm, "System", system=True)
    assert client.patch(f"/api/v1/models/{system.id}", json={"price_input_per_m": 1},
                        headers=hd).status_code == 403
    assert client.post(f"/models/{system.id}/edit", data={"price_input_per_m": "1"}).status_code == 403
    auth.logout()
    auth.login("root")
    page = client.post(f"/models/{system.id}/edit", data={
        "name": "System", "base_url": fake_llm.base_url, "model_name": "echo", "max_concurrency": "4",
        "price_input_per_m": "-0.5", "price_output_per_m": "2"})
    assert page.status_code == 400 and "Must be between 0" in page.data.decode()
    page = client.post(f"/models/{system.id}/edit", data={
        "name": "System", "base_url": fake_llm.base_url, "model_name": "echo", "max_concurrency": "4",
        "price_input_per_m": "1.25", "price_output_per_m": "2"})
    assert page.status_code == 302
    db.session.refresh(system)
    assert (system.price_input_per_m, system.price_output_per_m) == (1.25, 2.0)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "price_input_per_m" in spec["components"]["schemas"]["Model"]["properties"]
    assert "cost_per_1k" in spec["components"]["schemas"]["LeaderboardRow"]["properties"]
    assert spec["components"]["schemas"]["EvalRun"]["properties"]["tokens"]


def test_chart_picks_the_common_concurrency_and_says_why_a_model_is_missing(app):
    from types import SimpleNamespace as NS

    from app.services import quality_speed

    def bench(run_id, **ttft_by_concurrency):
        return NS(id=run_id, levels=[NS(concurrency=int(c[1:]), p99_ttft_ms=v, output_tok_per_s=1000 / v)
                                     for c, v in ttft_by_concurrency.items()])

    rows = [{"model": name, "run_id": i, "endpoint_id": i, "score": score, "ci": [score - 0.1, score + 0.1]}
            for i, (name, score) in enumerate((("A", 0.9), ("B", 0.8), ("C", 0.7), ("D", 0.6)), start=1)]
    benchmarks = {1: bench(11, c1=400.0, c4=900.0), 2: bench(12, c1=200.0, c4=500.0), 3: bench(13, c4=100.0)}
    with app.test_request_context():
        chart = quality_speed.speeds(rows, benchmarks, "p99_ttft", None)
        assert chart["concurrency"] == 4 and chart["concurrencies"] == [1, 4]  # the level three models have
        assert chart["front"] == [3, 2, 1]  # C fastest, then B, then A best: none beats another on both
        assert [m["model"] for m in chart["missing"]] == ["D"]
        at_one = quality_speed.speeds(rows, benchmarks, "p99_ttft", 1)
        assert at_one["front"] == [2, 1] and "no figure at concurrency 1" in at_one["missing"][0]["reason"]
        drawn = quality_speed.geometry(chart)
    xs = {p["model"]: p["x"] for p in drawn["points"]}
    assert xs["C"] < xs["B"] < xs["A"] and drawn["front"].count(",") == 3
    assert all(drawn["top"] <= p["y_high"] <= p["y"] <= p["y_low"] <= drawn["bottom"] for p in drawn["points"])
    assert quality_speed.geometry({**chart, "points": [], "front": []}) is None
    with pytest.raises(ValueError):
        quality_speed.parse("fast", None)
