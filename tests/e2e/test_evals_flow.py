"""A person starts an evaluation from the form, watches it reach 100%, opens the report and a sample."""
import pytest
from playwright.sync_api import expect

from tests import evals_helpers as h
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e


def test_start_watch_and_read_an_evaluation(page, make_user, fake_llm):
    user = make_user("eva", password="eva-pass-123")
    fake_llm.add_model("mcq-slow", reply=h.mcq_reply, ttft=0.2)
    h.model(user, fake_llm, "E2E model", "mcq-slow", reply=h.mcq_reply, ttft=0.2)
    h.dataset(user, h.mcq_rows(), "mcq", "E2E MCQ")
    sign_in(page, "eva", "eva-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Evaluations").click()
    page.get_by_role("link", name="New evaluation").click()
    page.get_by_label("Model to evaluate").select_option(label="E2E model (mcq-slow)")
    page.locator('fieldset[data-dataset] input[name="dataset_id"]').check()
    expect(page.locator("#request-estimate")).to_contain_text("about 10 model requests")
    page.get_by_label("Concurrency").fill("2")
    page.get_by_role("button", name="Start evaluation").click()
    expect(page.get_by_text("queued: 10 requests")).to_be_visible()
    expect(page.locator("[data-progress-text]")).to_contain_text("10 / 10 (100%)", timeout=90000)
    expect(page.get_by_role("heading", name="Scores · 70.0%")).to_be_visible(timeout=30000)
    page.get_by_role("link", name="Wrong answers").click()
    page.locator('tr[data-verdict="wrong"] a').first.click()
    expect(page.locator("[data-prediction]")).to_have_text("ANSWER: C")
    expect(page.locator("[data-verdict]")).to_have_text("wrong")
