"""A person opens a dataset's leaderboard with its quality × speed chart, a report with its interval and subset chart,
publishes it, and compares two runs with a verdict.

With ``EVALHUB_SCREENSHOTS=<dir>`` the leaderboard is also saved there in both languages at desktop and phone width
(``<lang>-<width>-leaderboard.png``)."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import ModelEndpoint, PerfLevel
from app.models.types import utcnow
from tests import evals_helpers as h
from tests import leaderboard_helpers as lh
from tests import perf_helpers
from tests.e2e.test_auth_flow import sign_in
from tests.e2e.test_page_tour import WIDTHS

pytestmark = pytest.mark.e2e


def benchmark(owner, endpoint_id: int, ttft_ms: float, tok_per_s: float) -> None:
    """A succeeded benchmark of the model at concurrency 1 and 8."""
    run = perf_helpers.row(owner, db.session.get(ModelEndpoint, endpoint_id), finished_at=utcnow())
    for pos, c in enumerate((1, 8)):
        db.session.add(PerfLevel(run_id=run.id, position=pos, concurrency=c, number=4 * c, p99_ttft_ms=ttft_ms * c,
                                 output_tok_per_s=tok_per_s * c))
    db.session.commit()


def test_leaderboard_report_publish_and_compare(page, browser, live_server, make_user, fake_llm):
    user = make_user("lena", password="lena-pass-123")
    d = h.dataset(user, lh.rows(40), "mcq", "Forty")
    low = lh.run_model(user, fake_llm, d, "Low model", 10)
    high = lh.run_model(user, fake_llm, d, "High model", 38)
    mid = lh.run_model(user, fake_llm, d, "Mid model", 20)
    benchmark(user, low.endpoint_id, 90.0, 210.0)  # fast and poor: on the front
    benchmark(user, high.endpoint_id, 400.0, 60.0)  # slow and good: on the front
    benchmark(user, mid.endpoint_id, 500.0, 40.0)  # slower and worse than the high model: off the front
    sign_in(page, "lena", "lena-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboards").click()
    page.get_by_role("link", name="Forty").click()
    expect(page.locator(f'tr[data-row="{high.id}"]')).to_contain_text("95.0%")
    expect(page.locator(f'tr[data-row="{high.id}"]')).to_have_attribute("data-rank", "1")
    expect(page.locator(f'tr[data-row="{low.id}"]')).to_have_attribute("data-rank", "2")
    chart = page.locator("[data-quality-speed]")
    expect(chart.get_by_role("img", name="Score against p99 TTFT")).to_be_visible()
    expect(chart.locator(f'[data-point="{low.id}"]')).to_have_attribute("data-pareto", "true")
    expect(chart.locator(f'[data-point="{high.id}"]')).to_have_attribute("data-pareto", "true")
    expect(chart.locator(f'[data-point="{mid.id}"]')).to_have_attribute("data-pareto", "false")
    chart.get_by_label("Speed figure", exact=True).select_option("output_tps")
    chart.get_by_label("Concurrency", exact=True).select_option("8")
    chart.get_by_role("button", name="Show").click()
    expect(page.locator("[data-quality-speed]")).to_have_attribute("data-quality-speed", "output_tps")
    expect(page.locator(f'tr[data-row="{low.id}"] [data-speed]')).to_have_text("1,680.0 tok/s")
    page.locator("[data-chart-table] summary").click()
    expect(page.locator("[data-chart-table] table")).to_contain_text("Mid model")
    page.locator("[data-subset-link]", has_text="odd").click()
    expect(page.locator(f'tr[data-row="{low.id}"] td').nth(4)).to_have_text("20")

    page.goto(page.url.split("/leaderboards")[0] + f"/evals/{high.id}")
    expect(page.locator("[data-score-interval]")).to_contain_text("95% CI")
    expect(page.locator("#subset-chart-data")).to_have_attribute("data-drawn", "1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("[data-published]")).to_be_visible()

    page.goto(page.url.split("/evals")[0] + f"/evals/compare?runs={low.id},{high.id}")
    row = page.locator(f'tr[data-pair="{low.id}-{high.id}"]')
    expect(row).to_have_attribute("data-verdict", "improved")
    expect(row).to_contain_text("improved")
    assert not _leaderboard_at_each_width(browser, live_server, d.id)


def _leaderboard_at_each_width(browser, live_server, dataset_id: int) -> list[str]:
    """The leaderboard in both languages at desktop and phone width: nothing spills sideways (screenshots when
    ``EVALHUB_SCREENSHOTS`` is set)."""
    out, problems = os.environ.get("EVALHUB_SCREENSHOTS"), []
    for lang in ("en", "zh"):
        for width, height in WIDTHS.items():
            context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height})
            page = context.new_page()
            sign_in(page, "lena", "lena-pass-123")
            if page.locator("#lang-select").input_value() != lang:
                with page.expect_navigation():
                    page.locator("#lang-select").select_option(lang)
            page.goto(f"/leaderboards/{dataset_id}")
            expect(page.locator("[data-quality-speed] svg")).to_be_visible()
            spill = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if spill > 1:
                problems.append(f"{lang} {width}: the leaderboard is {spill}px wider than the screen")
            if out:
                Path(out).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(out) / f"{lang}-{width}-leaderboard.png"), full_page=True)
            context.close()
    return problems
