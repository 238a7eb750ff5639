"""Benchmarks run real evalscope perf in the real worker against the fake model server with known delays.

Tolerance of the measured metrics: the fake server sleeps exactly TTFT_S before the first token and TOKEN_DELAY_S
between tokens, so evalscope can measure no less (5 % below, for clock granularity) and, on a busy machine,
somewhat more (we allow 50 % above). Latency should be TTFT_S + (TOKENS - 1) * TOKEN_DELAY_S = 0.58 s.
"""
import csv
import io
import time

import pytest

from app.extensions import db
from app.models import PerfLevel, PerfRun
from tests import perf_helpers as h
from tests.services import wait_for

LATENCY_S = h.TTFT_S + (h.TOKENS - 1) * h.TOKEN_DELAY_S


def within(value, expected, low=0.05, high=0.5):
    return expected * (1 - low) <= value <= expected * (1 + high)


def test_two_level_sweep_measures_the_known_delays(client, user, worker, fake_llm):
    m = h.known_model(user, fake_llm)
    run = h.submit(user, endpoint_id=m.id, concurrency="1, 2", number="4")
    assert run.status == "queued" and run.params["concurrency"] == [1, 2] and run.params["number"] == [4, 4]
    run = h.finished(run.id)
    assert run.status == "succeeded", run.error
    assert run.progress_done == run.progress_total == 8
    levels = run.levels
    assert [(lv.concurrency, lv.number) for lv in levels] == [(1, 4), (2, 4)]
    for lv in levels:
        assert lv.succeeded == 4 and lv.failed == 0 and lv.total_requests == 4
        assert within(lv.avg_ttft_ms, 1000 * h.TTFT_S), lv.avg_ttft_ms
        assert within(lv.p50_ttft_ms, 1000 * h.TTFT_S), lv.p50_ttft_ms
        assert within(lv.avg_latency_s, LATENCY_S), lv.avg_latency_s
        assert within(lv.p99_latency_s, LATENCY_S), lv.p99_latency_s
        assert within(lv.avg_tpot_ms, 1000 * h.TOKEN_DELAY_S), lv.avg_tpot_ms
        assert lv.avg_output_tokens == h.TOKENS
        assert lv.metrics["Success Requests"] == 4 and len(lv.percentiles) == 11
    # two requests in flight finish about twice as many requests per second
    assert levels[1].req_per_s > 1.5 * levels[0].req_per_s
    assert run.peak_req_per_s == levels[1].req_per_s
    # what evalscope was sent: streamed chat completions of the prompts, after one short test request
    chats = [r["json"] for r in fake_llm.requests if r["path"].endswith("/chat/completions")]
    assert chats[0]["max_tokens"] == 1 and not chats[0].get("stream")
    assert len(chats) == 9 and all(c["stream"] and c["max_tokens"] == 64 for c in chats[1:])
    assert chats[1]["messages"][0]["content"].startswith("#0 ")
    assert len(chats[1]["messages"][0]["content"].split()) == 128

    page = client.get(f"/perf/{run.id}").data.decode()
    for needle in ('id="chart-throughput"', 'id="chart-latency"', 'id="chart-ttft"', 'id="chart-tpot"',
                   "TPOT (time per output token): (latency − TTFT) / (output tokens − 1)", 'data-level="2"',
                   "chartjs/chart.umd.min.js"):
        assert needle in page, needle
    rows = list(csv.DictReader(io.StringIO(client.get(f"/perf/{run.id}/export.csv").data.decode())))
    assert [r["concurrency"] for r in rows] == ["1", "2"] and float(rows[0]["p99_ttft_ms"]) > 0
    exported = client.get(f"/perf/{run.id}/export.json").get_json()
    assert [lv["concurrency"] for lv in exported["levels"]] == [1, 2]
    assert exported["levels"][0]["ttft_ms"]["99"] > 0 and "api_key" not in str(exported)
    events = client.get(f"/perf/{run.id}/events").data.decode()
    assert "event: done" in events and '"status": "succeeded"' in events and "event: log" in events
    assert "Benchmarks" in client.get("/dashboard").data.decode()


def test_benchmarks_of_one_model_one_after_another(client, user, worker, fake_llm):
    m = h.known_model(user, fake_llm)
    first = h.submit(user, endpoint_id=m.id)
    second = h.submit(user, endpoint_id=m.id, max_tokens=32)
    third = h.submit(user, endpoint_id=m.id, max_tokens=16)
    client.post(f"/perf/{second.id}/cancel")  # a queued run cancels at once
    assert h.fresh(second.id).status == "cancelled"
    first, third = h.finished(first.id), h.finished(third.id)
    assert first.status == third.status == "succeeded", (first.error, third.error)
    assert third.started_at >= first.finished_at
    page = client.get(f"/perf/compare?run={first.id}&run={third.id}").data.decode()
    assert f"#{first.id}" in page and f"#{third.id}" in page and 'data-compare-level="1"' in page
    assert 'id="chart-throughput"' in page
    history = client.get("/perf/").data.decode()
    assert all(f'data-run="{r.id}"' in history for r in (first, second, third))
    assert f'data-run="{second.id}"' not in client.get("/perf/?status=succeeded").data.decode()


def test_cancel_stops_evalscope_and_keeps_finished_levels(client, user, worker, fake_llm):
    m = h.model(user, fake_llm, "perf-slow", ttft=0.05, token_delay=0.05, reply=" ".join(["x"] * 40))
    run = h.submit(user, endpoint_id=m.id, concurrency="1, 2", number="2, 40", sleep_interval=0)
    wait_for(lambda: h.fresh(run.id).progress_done >= 3, timeout=120, interval=0.3,
             message="evalscope to reach the second level")
    r = client.post(f"/perf/{run.id}/cancel", follow_redirects=True)
    assert r.status_code == 200
    run = h.finished(run.id)
    assert run.status == "cancelled"
    assert "no summary" in run.status_note and "finished level" in run.status_note
    assert [lv.concurrency for lv in run.levels] == [1]  # the finished level is kept
    sent = len(fake_llm.requests)
    time.sleep(3)
    assert len(fake_llm.requests) <= sent + 2  # the engine's process group is gone (in-flight ones may land)


@pytest.mark.parametrize("where, expected", [("closed", "Connection refused"), ("error", "HTTP 500")])
def test_unreachable_model_fails_quickly_with_a_clear_message(client, user, worker, fake_llm, where, expected):
    if where == "closed":
        m = h.model(user, fake_llm, "perf-nowhere", base_url=f"http://127.0.0.1:{h.closed_port()}/v1")
    else:
        m = h.model(user, fake_llm, "error-500")
    run = h.submit(user, endpoint_id=m.id, timeout_minutes=60)  # evalscope alone would retry for an hour
    run = h.finished(run.id, timeout=60)
    assert run.status == "failed"
    assert "did not answer a test request" in run.error and expected in run.error, run.error
    assert not run.levels
    page = client.get(f"/perf/{run.id}").data.decode()
    assert expected in page
    assert db.session.query(PerfLevel).count() == 0 and db.session.query(PerfRun).count() == 1
