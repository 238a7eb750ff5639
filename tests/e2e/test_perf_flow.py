"""A person starts a two-level benchmark sweep, watches it run and reads the report with its charts."""
import re

import pytest
from playwright.sync_api import expect

from tests import perf_helpers as h
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e


def test_two_level_sweep_finishes_and_shows_charts(page, make_user, fake_llm):
    perry = make_user("perry", password="perf-pass-123")
    h.model(perry, fake_llm, "perf-e2e", name="E2E perf model", ttft=0.05, token_delay=0.01, reply="a b c d e f")
    sign_in(page, "perry", "perf-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Benchmarks").click()
    expect(page.get_by_text("No benchmarks yet.")).to_be_visible()
    page.get_by_role("link", name="New benchmark").click()
    page.get_by_label("Model", exact=True).select_option(label="E2E perf model")
    page.get_by_label("Concurrency levels").fill("0")
    page.get_by_role("button", name="Start benchmark").click()
    expect(page.get_by_text("Whole numbers from 1 to 1024")).to_be_visible()
    page.get_by_label("Concurrency levels").fill("1, 2")
    page.get_by_label("Requests per level").fill("3")
    page.get_by_label("Max tokens").fill("32")
    page.get_by_label("Pause between levels (seconds)").fill("0")
    page.get_by_role("button", name="Start benchmark").click()
    expect(page.get_by_text(re.compile(r"Benchmark #\d+ submitted\."))).to_be_visible()

    # the page follows the run live and shows the report when it has finished
    expect(page.locator('#perf-status [data-status="succeeded"]')).to_be_visible(timeout=120_000)
    expect(page.locator("#perf-progress-text")).to_contain_text("6 of 6 requests")
    expect(page.locator('#perf-summary tr[data-level="1"]')).to_be_visible()
    expect(page.locator('#perf-summary tr[data-level="2"]')).to_be_visible()
    for chart in ("throughput", "latency", "ttft", "tpot"):
        expect(page.locator(f"canvas#chart-{chart}")).to_be_visible()
    assert page.evaluate("() => ['throughput', 'latency', 'ttft', 'tpot'].every("
                         "id => Chart.getChart('chart-' + id).data.datasets.length > 0)")
    expect(page.locator("figcaption", has_text="TPOT (time per output token): (latency − TTFT) / (output tokens − 1)")
           ).to_be_visible()
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
