"""Every CSV / XLSX export is safe to open in a spreadsheet (issue #11), the evaluation CSV streams in a real
request (issue #12) and the benchmark CSV names each column once (issue #12). JSON exports stay exact."""
import csv
import io
import json
import threading

import openpyxl
import pytest

from app.extensions import db
from app.models import EvalRun, EvalSample
from app.services.cells import neutralise, xlsx_cell
from tests import perf_helpers
from tests.datasets_helpers import jsonl_bytes, upload_page
from tests.models_helpers import make_model
from tests.test_perf_pages import with_levels

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1",
           "\r=1+1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(value):
    assert neutralise(value) == "'" + value
    assert xlsx_cell(value).startswith("'")


@pytest.mark.parametrize("value", ["plain", "a = b", "", None, -2, 3.5, "'=quoted already"])
def test_other_values_are_unchanged(value):
    assert neutralise(value) == value


def test_dataset_csv_export_neutralises_formulas_and_jsonl_stays_exact(client, user):
    rows = [{"id": "r1", "question": HOSTILE[0], "A": HOSTILE[1], "B": HOSTILE[2], "C": "-2", "answer": "A"}]
    r = upload_page(client, jsonl_bytes(rows), "f.jsonl")
    assert r.status_code == 302
    export = r.headers["Location"] + "/export"
    text = client.get(export + "?format=csv").data.decode()
    record = next(csv.DictReader(io.StringIO(text)))
    assert record["question"] == "'" + HOSTILE[0] and record["A"] == "'" + HOSTILE[1]
    assert record["B"] == "'@SUM(1)" and record["C"] == "'-2" and record["answer"] == "A"
    exact = json.loads(client.get(export + "?format=jsonl").data.decode().splitlines()[0])
    assert exact["question"] == HOSTILE[0] and exact["A"] == HOSTILE[1] and exact["C"] == "-2"


def finished_run(owner, endpoint, prediction: str) -> EvalRun:
    """A succeeded run with one sample whose answer is ``prediction`` (written directly, no worker)."""
    run = EvalRun(owner_id=owner.id, endpoint_id=endpoint.id, endpoint_name=endpoint.name, status="succeeded",
                  params={"datasets": []}, summary={"datasets": [], "overall": {"score": 1.0, "scored": 1}})
    db.session.add(run)
    db.session.flush()
    db.session.add(EvalSample(run_id=run.id, dataset_id=1, dataset_name="=set", subset="default", position=0,
                              question="q", reference="2", prediction=prediction, verdict="correct", score=1.0))
    db.session.commit()
    return run


def test_evaluation_xlsx_and_csv_never_hold_a_live_formula(client, user, fake_llm):
    run = finished_run(user, make_model(user, fake_llm), "=1+1")
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/evals/{run.id}/export?format=xlsx").data))
    cells = {c.value: c.data_type for row in book["Samples"].iter_rows() for c in row}
    assert cells["'=1+1"] == "s" and cells["'=set"] == "s"
    assert not any(t == "f" for t in cells.values())
    record = next(csv.DictReader(io.StringIO(client.get(f"/evals/{run.id}/export?format=csv").data.decode())))
    assert record["prediction"] == "'=1+1" and record["dataset_name"] == "'=set"
    exact = client.get(f"/evals/{run.id}/export?format=json").get_json()
    assert exact["samples"][0]["prediction"] == "=1+1"


def _in_a_fresh_thread(call):
    """``call()`` in a thread with no app context, as a real server runs it; returns its result or raises."""
    out = {}

    def target():
        try:
            out["value"] = call()
        except BaseException as exc:  # handed back to the test
            out["error"] = exc
    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_evaluation_csv_streams_outside_the_test_app_context(app, client, user, fake_llm, api_headers):
    run = finished_run(user, make_model(user, fake_llm), "2")
    headers = api_headers(user)
    for path, kwargs in ((f"/evals/{run.id}/export?format=csv", {}),
                         (f"/api/v1/evals/{run.id}/export?format=csv", {"headers": headers})):
        r = _in_a_fresh_thread(lambda: (lambda resp: (resp.status_code, resp.data.decode()))(
            client.get(path, **kwargs)))
        assert r[0] == 200
        assert list(csv.DictReader(io.StringIO(r[1])))[0]["prediction"] == "2"


def test_benchmark_csv_names_each_column_once_and_neutralises_the_model_name(client, user, fake_llm):
    model = perf_helpers.known_model(user, fake_llm)
    model.name = "=cmd|' /C calc'!A0"
    db.session.commit()
    run = with_levels(user, model)
    run.endpoint_name = model.name
    db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get(f"/perf/{run.id}/export.csv").data.decode())))
    header = rows[0]
    assert len(header) == len(set(header)), [h for h in header if header.count(h) > 1]
    for key in ("p99_latency_s", "p99_ttft_ms", "p99_tpot_ms", "p99_itl_ms", "p50_ttft_ms"):
        assert header.count(key) == 1
    assert rows[1][header.index("model")] == "'" + model.name
    assert client.get(f"/perf/{run.id}/export.json").get_json()["model"]["name"] == model.name
