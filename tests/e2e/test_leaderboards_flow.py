"""A person opens a dataset's leaderboard, a report with its interval and subset chart, publishes it, and compares
two runs with a verdict."""
import pytest
from playwright.sync_api import expect

from tests import evals_helpers as h
from tests import leaderboard_helpers as lh
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e


def test_leaderboard_report_publish_and_compare(page, make_user, fake_llm):
    user = make_user("lena", password="lena-pass-123")
    d = h.dataset(user, lh.rows(40), "mcq", "Forty")
    low = lh.run_model(user, fake_llm, d, "Low model", 10)
    high = lh.run_model(user, fake_llm, d, "High model", 38)
    sign_in(page, "lena", "lena-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboards").click()
    page.get_by_role("link", name="Forty").click()
    expect(page.locator(f'tr[data-row="{high.id}"]')).to_contain_text("95.0%")
    expect(page.locator(f'tr[data-row="{high.id}"]')).to_have_attribute("data-rank", "1")
    expect(page.locator(f'tr[data-row="{low.id}"]')).to_have_attribute("data-rank", "2")
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
