"""A person re-judges a run's stored answers with another judge from the run page, then labels a sample by hand."""
import pytest
from playwright.sync_api import expect

from tests import evals_helpers as h
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e


def test_rejudge_a_run_and_label_a_sample(page, make_user, fake_llm):
    user = make_user("jude", password="jude-pass-123")
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    h.model(user, fake_llm, "Second judge", "judge-two", reply=h.judge_reply)
    d = h.dataset(user, h.qa_rows(), "qa", "E2E QA")
    parent = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], answers_only=True).id)
    assert parent.status == "answered", parent.error
    fake_llm.requests.clear()

    sign_in(page, "jude", "jude-pass-123")
    page.goto(f"/evals/{parent.id}")
    expect(page.locator("[data-status]").first).to_have_text("answered")
    page.locator("[data-rejudge] summary").click()
    page.get_by_label("Judge model").select_option(label="Second judge")
    page.locator("[data-rejudge]").get_by_role("button", name="Re-judge").click()
    expect(page.get_by_text("only the judge is asked")).to_be_visible()
    expect(page.locator("[data-parent]")).to_contain_text(f"#{parent.id}")
    child_url = page.url
    expect(page.get_by_role("heading", name="Scores · 50.0%")).to_be_visible(timeout=90000)
    assert not h.judge_requests(fake_llm, "qa-bot")  # the model was not asked again
    assert len(h.judge_requests(fake_llm, "judge-two")) == 4

    page.get_by_role("link", name="Samples", exact=True).click()
    page.locator('tr[data-verdict="wrong"] a').first.click()
    page.get_by_label("correct", exact=True).check()
    page.get_by_label("Note").fill("The judge is too strict here.")
    page.get_by_role("button", name="Save label").click()
    expect(page.get_by_text("Label saved.")).to_be_visible()
    expect(page.locator("[data-human]")).to_have_text("correct")
    expect(page.get_by_label("Note")).to_have_value("The judge is too strict here.")
    page.goto(child_url)
    expect(page.locator("[data-agreement]")).to_contain_text("1 samples labelled")
    expect(page.locator('[data-decider="judge"] [data-rate]')).to_have_text("0.0%")
