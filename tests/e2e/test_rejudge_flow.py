"""A person re-judges a run's stored answers with another judge from the run page, then labels a sample by hand;
then with a panel of two judges."""
import os
from pathlib import Path

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


def test_rejudge_with_a_panel_shows_each_judge_and_their_agreement(browser, page, make_user, fake_llm):
    """Re-judge by a panel of two from the run page; the report shows their κ, the samples they disagree on, and
    the sample page every judge's verdict and reply. With ``EVALHUB_SCREENSHOTS=<dir>`` the panel's pages are saved
    there in both languages, at desktop and phone width."""
    user = make_user("panel", password="panel-pass-123")
    m = h.model(user, fake_llm, "QA bot", "qa-bot", reply=h.qa_reply)
    h.model(user, fake_llm, "Second judge", "judge-two", reply=lambda messages, _r: '{"reasoning": "Strict.", '
            '"verdict": "%s"}' % ("A" if "It is thing-" in messages[-1]["content"] else "B"))
    h.model(user, fake_llm, "Third judge", "judge-three",
            reply=lambda messages, _r: '{"reasoning": "Cut off.", "verdict": "C"}' if "[Q3]" in messages[-1]["content"]
            else '{"reasoning": "Generous.", "verdict": "A"}')
    d = h.dataset(user, h.qa_rows(), "qa", "E2E QA")
    parent = h.finished(h.submit(user, model_id=m.id, datasets=[{"dataset_id": d.id}], answers_only=True).id)
    assert parent.status == "answered", parent.error

    sign_in(page, "panel", "panel-pass-123")
    page.goto(f"/evals/{parent.id}")
    page.locator("[data-rejudge] summary").click()
    form = page.locator("[data-rejudge]")
    form.get_by_label("Judge model").select_option(label="Second judge")
    form.get_by_label("Judge 2").select_option(label="Third judge")
    form.get_by_label("Built-in judge prompt").select_option("compassverifier")
    form.get_by_role("button", name="Re-judge").click()
    expect(page.get_by_text("only the judge is asked")).to_be_visible()
    # answers Q0 and Q2 right: both judges say correct; Q1 wrong by the second, correct by the third; Q3 the
    # third excludes (C), the second says wrong: majority 2 of 4
    expect(page.get_by_role("heading", name="Scores · 50.0%")).to_be_visible(timeout=90000)
    card = page.locator("[data-judge-agreement]")
    expect(card).to_contain_text("Second judge · Third judge")
    expect(card.locator("[data-kappa]")).to_have_text("0.000")  # 3 samples both scored: κ of (C,W,C) vs (C,C,C)
    card.locator("[data-disagreements]").click()
    expect(page.locator("tr[data-verdict]")).to_have_count(1)
    page.locator("tr[data-verdict] a").first.click()
    judges = page.locator("[data-panel-verdicts]")
    expect(judges.locator('[data-judge="0"]')).to_contain_text("Second judge")
    expect(judges.locator('[data-judge="1"]')).to_contain_text("Generous.")
    expect(judges.locator("[data-coverage]")).to_have_text("100%")
    sample_url = page.url

    out = os.environ.get("EVALHUB_SCREENSHOTS")
    for lang in ("en", "zh") if out else ():
        for width, height in ((1440, 900), (390, 844)):
            context = browser.new_context(base_url=page.url.split("/evals")[0], viewport={"width": width, "height": height})
            shot = context.new_page()
            sign_in(shot, "panel", "panel-pass-123")
            if shot.locator("#lang-select").input_value() != lang:
                with shot.expect_navigation():
                    shot.locator("#lang-select").select_option(lang)
            for name, url in (("panel-run", sample_url.split("/samples")[0]), ("panel-sample", sample_url),
                              ("panel-new", "/evals/new")):
                shot.goto(url)
                assert shot.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1, (lang, width, name)
                shot.screenshot(path=str(Path(out) / f"{lang}-{width}-{name}.png"), full_page=True)
            context.close()
