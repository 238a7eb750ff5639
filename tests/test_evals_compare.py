"""Comparing runs (page and API) without a worker: runs are ordered oldest first whatever order they are picked in,
so each verdict reads older → newer; every column names its run, model and judge, so a run and its re-judge (same
model, another judge) are told apart."""
import re

import pytest

from app.extensions import db
from app.models import EvalRun, EvalSample
from app.services import eval_compare
from tests.datasets_helpers import QA_ROWS, make_dataset
from tests.models_helpers import make_model

N = 30


def finished(user, model, dataset, right: int, judge: str | None = None, panel: list[str] | None = None) -> EvalRun:
    """A succeeded run whose first ``right`` of ``N`` samples are correct, the rest wrong (written directly)."""
    params = {"datasets": []}
    if panel:
        params.update(panel=[{"id": i, "name": name} for i, name in enumerate(panel, 1)], aggregation="majority")
    score = right / N
    run = EvalRun(owner_id=user.id, endpoint_id=model.id, endpoint_name=model.name, status="succeeded",
                  judge_name=" + ".join(panel) if panel else judge, params=params, score=score,
                  summary={"datasets": [{"dataset_id": dataset.id, "name": dataset.name,
                                         "subsets": [{"name": "default", "score": score}]}],
                           "overall": {"score": score, "scored": N}})
    db.session.add(run)
    db.session.flush()
    for i in range(N):
        ok = i < right
        db.session.add(EvalSample(run_id=run.id, dataset_id=dataset.id, dataset_name=dataset.name, subset="default",
                                  position=i, question=f"q{i}", reference="a", prediction="a" if ok else "b",
                                  verdict="correct" if ok else "wrong", score=1.0 if ok else 0.0))
    db.session.commit()
    return run


@pytest.fixture()
def three(user, fake_llm):
    """#older (30/30, judged by Judge A), its re-judge (same model, Judge B), #newer (20/30, a panel)."""
    model = make_model(user, fake_llm, name="Bot")
    dataset = make_dataset(user, rows=QA_ROWS, fmt="qa", name="Shared")
    older = finished(user, model, dataset, N, judge="Judge A")
    rejudged = finished(user, model, dataset, N, judge="Judge B")
    newer = finished(user, model, dataset, 20, panel=["Judge A", "Judge C"])
    return older, rejudged, newer


@pytest.mark.parametrize("values", [["4,1"], ["4", "1"], ["1", "4"], ["4, 1,4"]])
def test_ids_are_ordered_oldest_first(values):
    assert eval_compare.parse_ids(values) == [1, 4]


def test_the_api_reads_older_to_newer_whatever_the_order_picked(client, user, three, api_headers):
    older, _rejudged, newer = three
    for query in (f"runs={newer.id}&runs={older.id}", f"runs={newer.id},{older.id}", f"runs={older.id},{newer.id}"):
        body = client.get(f"/api/v1/evals/compare?{query}", headers=api_headers(user)).get_json()
        assert body["runs"] == [{"run_id": older.id, "model": "Bot", "judge": "Judge A", "score": 1.0},
                                {"run_id": newer.id, "model": "Bot", "judge": "Judge A + Judge C",
                                 "score": pytest.approx(20 / N, abs=1e-6)}]
        (pair,) = body["pairs"]
        assert pair["a"] == {"run_id": older.id, "model": "Bot", "judge": "Judge A"}
        assert pair["b"] == {"run_id": newer.id, "model": "Bot", "judge": "Judge A + Judge C"}
        assert pair["verdict"] == "regressed" and pair["only_a"] == 10 and pair["diff"] < 0
        assert body["rows"][0]["scores"] == [1.0, pytest.approx(20 / N)]


def test_the_page_reads_older_to_newer_and_heads_columns_with_id_model_and_judge(client, user, three):
    older, rejudged, newer = three
    page = client.get(f"/evals/compare?runs={newer.id}&runs={rejudged.id}&runs={older.id}").data.decode()
    heads = re.findall(r'data-run-head="(\d+)">(.*?)</th>', page)
    assert [int(i) for i, _ in heads] == [older.id, rejudged.id, newer.id]
    texts = [re.sub(r"<[^>]+>", " ", html).split() for _, html in heads]
    assert texts == [f"#{older.id} · Bot judge: Judge A".split(), f"#{rejudged.id} · Bot judge: Judge B".split(),
                     f"#{newer.id} · Bot judge: Judge A + Judge C".split()]
    verdicts = dict(re.findall(r'data-pair="(\d+-\d+)" data-verdict="([^"]+)"', page))
    assert verdicts == {f"{older.id}-{rejudged.id}": "within noise", f"{older.id}-{newer.id}": "regressed",
                        f"{rejudged.id}-{newer.id}": "regressed"}
    row = page.split(f'data-pair="{older.id}-{newer.id}"')[1].split("</td>")[0]
    assert f"#{older.id} · Bot" in row.split("→")[0] and f"#{newer.id} · Bot" in row.split("→")[1]


def test_a_run_scored_by_rules_has_no_judge(client, user, fake_llm, api_headers):
    model = make_model(user, fake_llm, name="Bot")
    dataset = make_dataset(user, rows=QA_ROWS, fmt="qa", name="Shared")
    a, b = finished(user, model, dataset, N), finished(user, model, dataset, N)
    body = client.get(f"/api/v1/evals/compare?runs={b.id},{a.id}", headers=api_headers(user)).get_json()
    assert [r["judge"] for r in body["runs"]] == [None, None]
    page = client.get(f"/evals/compare?runs={b.id},{a.id}").data.decode()
    assert "data-judge" not in page and f'data-run-head="{a.id}"' in page
