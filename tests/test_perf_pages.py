"""Benchmark pages without a worker: the form's rules, history, report, compare, exports, isolation; and the
engine's reading of evalscope's files (progress, per-level results, a cancelled level, prompts from a dataset)."""
import json

import pytest

from app.engines.evalscope_perf import EvalscopePerfEngine, level_from
from app.extensions import db
from app.models import PerfLevel, PerfRun
from app.services import perf
from tests import perf_helpers as h
from tests.datasets_helpers import QA_ROWS
from tests.evals_helpers import dataset

SUMMARY = {"Test Duration (s)": 2.0, "Concurrency": 1, "Total Requests": 4, "Success Requests": 4,
           "Failed Requests": 0, "Req Throughput (req/s)": 2.0, "Avg Latency (s)": 0.5, "Avg Input Tokens": 10.0,
           "Output Throughput (tok/s)": 40.0, "Total Throughput (tok/s)": 60.0, "Avg TTFT (ms)": 200.0,
           "Avg TPOT (ms)": 20.0, "Avg ITL (ms)": 20.0, "Avg Output Tokens": 20.0}


def percentiles(scale: float = 1.0):
    labels = ["min", "1%", "5%", "10%", "25%", "50%", "75%", "90%", "95%", "99%", "max"]
    return [{"Percentiles": p, "Latency (s)": 0.5 * scale + i / 100, "TTFT (ms)": 200 * scale + i,
             "ITL (ms)": 20.0 + i, "TPOT (ms)": 20 * scale + i / 10} for i, p in enumerate(labels)]


def with_levels(owner, endpoint, concurrency=(1, 4), scale=1.0) -> PerfRun:
    run = h.row(owner, endpoint)
    for position, c in enumerate(concurrency):
        summary = dict(SUMMARY, **{"Req Throughput (req/s)": 2.0 * c * scale})
        db.session.add(level_from(run.id, position, c, 4, summary, percentiles(scale)))
    run.params = dict(run.params, concurrency=list(concurrency), number=[4] * len(concurrency))
    run.peak_req_per_s = 2.0 * max(concurrency) * scale
    db.session.commit()
    return run


@pytest.mark.parametrize("path", ["/perf/", "/perf/new", "/perf/1", "/perf/1/events", "/perf/compare?a=1&b=2",
                                  "/perf/1/export.csv"])
def test_pages_need_a_login(client, path):
    r = client.get(path)
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_form_shows_each_problem_beside_its_field(client, user, fake_llm):
    m = h.known_model(user, fake_llm)
    page = client.get("/perf/new").data.decode()
    assert m.name in page and 'value="1, 4"' in page and "Start benchmark" in page
    r = client.post("/perf/new", data={"endpoint_id": str(m.id), "prompt_source": "synthetic",
                                       "prompt_length": "0", "concurrency": "1, two", "number": "5, 5, 5",
                                       "max_tokens": "64", "temperature": "3", "timeout_minutes": "5",
                                       "sleep_interval": "0"})
    assert r.status_code == 400
    text = r.data.decode()
    assert "Whole numbers from 1 to 1024, separated by commas" in text
    assert "Must be between 1 and 32768." in text and "Must be between 0.0 and 2.0." in text
    r = client.post("/perf/new", data={"endpoint_id": "", "prompt_source": "dataset", "concurrency": "1"})
    assert "Choose one of your models." in r.data.decode() and "Choose one of your datasets." in r.data.decode()
    assert db.session.query(PerfRun).count() == 0


def test_form_submits_and_the_run_page_offers_cancel(client, user, fake_llm):
    m = h.known_model(user, fake_llm)
    r = client.post("/perf/new", data={"endpoint_id": str(m.id), "prompt_source": "synthetic",
                                       "prompt_length": "32", "concurrency": "1 2 4", "number": "6",
                                       "rate": "", "max_tokens": "64", "stream": "y", "temperature": "0",
                                       "timeout_minutes": "5", "sleep_interval": "1"})
    assert r.status_code == 302
    run = db.session.query(PerfRun).one()
    assert r.headers["Location"].endswith(f"/perf/{run.id}")
    assert run.params["concurrency"] == [1, 2, 4] and run.params["number"] == [6, 6, 6] and run.params["stream"]
    assert run.params["rate"] is None and run.progress_total == 18
    page = client.get(f"/perf/{run.id}").data.decode()
    assert "Cancel benchmark" in page
    again = client.get(f"/perf/new?from={run.id}").data.decode()
    assert 'value="1, 2, 4"' in again and 'value="32"' in again


def test_report_history_compare_and_exports(client, user, fake_llm):
    m = h.known_model(user, fake_llm)
    a = with_levels(user, m, (1, 4))
    b = with_levels(user, m, (1, 4, 16), scale=1.5)
    page = client.get(f"/perf/{a.id}").data.decode()
    data = json.loads(page.split('id="perf-chart-data">')[1].split("</script>")[0])
    assert data[0]["concurrency"] == [1, 4] and data[0]["ttft_ms"]["99%"] == [209.0, 209.0]
    assert "TTFT (time to first token)" in page and "ITL (inter-token latency)" in page
    assert page.count('data-level-card=') == 2 and f'<option value="{b.id}">' in page
    history = client.get("/perf/").data.decode()
    assert f'data-run="{a.id}"' in history and f'data-run="{b.id}"' in history
    page = client.get(f"/perf/compare?a={a.id}&b={b.id}").data.decode()
    assert 'data-compare-level="16"' in page and "+50.0 %" in page and "text-success" in page
    assert client.get(f"/perf/compare?a={a.id}").status_code == 302
    csv_text = client.get(f"/perf/{b.id}/export.csv").data.decode()
    assert csv_text.splitlines()[0].startswith("run_id,model,concurrency,number") and len(csv_text.splitlines()) == 4
    assert client.get(f"/perf/{b.id}/export.json").get_json()["levels"][2]["concurrency"] == 16
    assert client.get(f"/perf/{b.id}/export.xml").status_code == 404


def test_other_users_benchmarks_are_404(client, auth, user, make_user, fake_llm):
    m = h.known_model(user, fake_llm)
    mine = with_levels(user, m)
    make_user("bob")
    auth.logout()
    auth.login("bob")
    for path in (f"/perf/{mine.id}", f"/perf/{mine.id}/events", f"/perf/{mine.id}/export.csv",
                 f"/perf/{mine.id}/export.json", f"/perf/compare?a={mine.id}&b={mine.id + 1}",
                 f"/perf/new?from={mine.id}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/perf/{mine.id}/cancel").status_code == 404
    assert f'data-run="{mine.id}"' not in client.get("/perf/").data.decode()
    assert m.name not in client.get("/perf/new").data.decode()


def test_engine_reads_progress_levels_and_a_cancelled_level(app, user, fake_llm, tmp_path):
    m = h.known_model(user, fake_llm)
    run = h.row(user, m, status="running")
    run.params = dict(run.params, concurrency=[1, 2, 4], number=[4, 4, 8])
    db.session.commit()
    engine = EvalscopePerfEngine()
    out = tmp_path / "evalscope" / "perf"
    assert engine.progress(run, tmp_path) == (0, 4)
    out.mkdir(parents=True)
    (out / "progress.json").write_text(json.dumps({"processed_count": 6, "total_count": 16}))
    assert engine.progress(run, tmp_path) == (6, 16)
    for c, n in ((1, 4), (2, 4)):
        (out / f"parallel_{c}_number_{n}").mkdir()
        (out / f"parallel_{c}_number_{n}" / "benchmark_summary.json").write_text(json.dumps(SUMMARY))
    # evalscope writes NaN (not JSON) and -1 for a level without one success
    (out / "parallel_1_number_4" / "benchmark_percentile.json").write_text(json.dumps(percentiles()))
    (out / "parallel_2_number_4" / "benchmark_summary.json").write_text(
        json.dumps(dict(SUMMARY, **{"Success Requests": 0, "Failed Requests": 4, "Avg TTFT (ms)": -1000.0})))
    (out / "parallel_2_number_4" / "benchmark_percentile.json").write_text(
        '[{"Percentiles": "99%", "TTFT (ms)": NaN, "Latency (s)": NaN}]')
    (out / "parallel_4_number_8").mkdir()  # stopped in the middle: no summary
    outcome = engine.collect(run, tmp_path, returncode=1, cancelled=True)
    assert not outcome.ok and "concurrency 4 has no results" in outcome.note and "2 finished level" in outcome.note
    levels = db.session.query(PerfLevel).filter_by(run_id=run.id).order_by(PerfLevel.position).all()
    assert [lv.concurrency for lv in levels] == [1, 2]
    assert levels[0].p99_ttft_ms == 209.0 and levels[1].avg_ttft_ms is None and levels[1].p99_ttft_ms is None
    assert levels[1].percentiles == [{"Percentiles": "99%", "TTFT (ms)": None, "Latency (s)": None}]
    outcome = engine.collect(run, tmp_path, returncode=1, cancelled=False)
    assert not outcome.ok and outcome.error.startswith("No results for concurrency 4")
    assert db.session.query(PerfLevel).filter_by(run_id=run.id).count() == 2  # collected again, not twice


def test_prompts_from_a_dataset_one_per_line(app, user, fake_llm, tmp_path):
    m = h.known_model(user, fake_llm)
    d = dataset(user, QA_ROWS + [{"prompt": "Line one\nline two", "response": "x"},
                                 {"prompt": "[not json] but looks like it", "response": "y"}], "qa", "Prompts")
    _endpoint, params = perf.validate({"endpoint_id": m.id, "prompt_source": "dataset", "dataset_id": d.id,
                                       "concurrency": "1", "number": "4"}, user)
    assert params["dataset_version"] == d.current_version and params["dataset_name"] == "Prompts"
    run = h.row(user, m, status="running")
    run.params = params
    count = EvalscopePerfEngine()._write_prompts(run, tmp_path / "prompts.txt")
    lines = (tmp_path / "prompts.txt").read_text().splitlines()
    assert count == 4 and lines[0] == "Who wrote Hamlet?" and lines[2] == "床前明月光的作者是谁？"
    assert json.loads(lines[3]) == [{"role": "user", "content": "Line one\nline two"}]
