"""A person compares three models side by side in the browser: answers stream, stop, history, safe Markdown."""
import re

import pytest
from playwright.sync_api import expect

from tests.chat_helpers import model

pytestmark = pytest.mark.e2e
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa"


def sign_in(page, username, password="correct-horse"):
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Welcome, {username}")).to_be_visible()


def pick(page, label, name):
    page.get_by_role("group", name=f"Model {label}").get_by_label("Model", exact=True).select_option(label=name)


def answer(page, slot):
    return page.locator(f'#transcript [data-answer][data-slot="{slot}"]').last


def test_three_models_stream_side_by_side_and_the_chat_is_in_history(page, make_user, fake_llm):
    owner = make_user("dana")
    for name, delay in (("Swift", 0.05), ("Steady", 0.15), ("Sluggish", 0.3)):
        model(owner, fake_llm, name.lower(), name=name, reply=f"{name}: {WORDS}", ttft=delay, token_delay=delay)
    sign_in(page, "dana")

    page.get_by_role("link", name="Chat").click()
    expect(page).to_have_url(re.compile(r"/chat/new$"))
    pick(page, "A", "Swift")
    page.get_by_role("button", name="Add a model").click()
    pick(page, "B", "Steady")
    page.get_by_role("button", name="Add a model").click()
    pick(page, "C", "Sluggish")
    expect(page.get_by_role("button", name="Add a model")).to_be_hidden()

    box = page.get_by_label("Message")
    box.fill("Compare these")
    box.press("Shift+Enter")
    box.type("on two lines")
    expect(box).to_have_value("Compare these\non two lines")
    box.press("Enter")

    for slot, name in ((1, "Swift"), (2, "Steady"), (3, "Sluggish")):
        expect(answer(page, slot).locator("[data-model-name]")).to_have_text(name)
    expect(answer(page, 1)).to_contain_text("Swift: alpha")
    expect(answer(page, 3)).to_have_attribute("aria-busy", "true")  # the slow one still streams
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    for slot, name in ((1, "Swift"), (2, "Steady"), (3, "Sluggish")):
        expect(answer(page, slot).locator("[data-md]")).to_have_text(f"{name}: {WORDS}", timeout=20000)
        expect(answer(page, slot).locator("[data-status-badge]")).to_have_text("complete")
        expect(answer(page, slot).locator("[data-metrics]")).to_contain_text("TTFT")
    expect(page).to_have_url(re.compile(r"/chat/\d+$"))

    page.get_by_role("group", name="Which answer is better?").get_by_role("button", name="B", exact=True).click()
    expect(page.get_by_role("button", name="B", exact=True, pressed=True)).to_be_visible()

    page.reload()
    sidebar = page.get_by_role("complementary")
    expect(sidebar.get_by_role("link", name="Compare these on two lines")).to_have_attribute("aria-current", "page")
    for slot, name in ((1, "Swift"), (2, "Steady"), (3, "Sluggish")):
        expect(answer(page, slot).locator("[data-md]")).to_have_text(f"{name}: {WORDS}")
    expect(page.get_by_role("button", name="B", exact=True, pressed=True)).to_be_visible()
    expect(page.get_by_role("group", name="Model C").get_by_label("Model", exact=True)).to_have_value(
        re.compile(r"\d+"))

    slot_a = page.get_by_role("group", name="Model A")
    slot_a.get_by_text("Settings").click()
    slot_a.get_by_label("System prompt").fill("Answer like a pirate.")
    page.get_by_label("Message").fill("And now?")
    page.get_by_label("Message").press("Enter")
    expect(page.locator("[data-turn-block]")).to_have_count(2)
    expect(answer(page, 3).locator("[data-status-badge]")).to_have_text("complete", timeout=20000)
    swift = [r["json"] for r in fake_llm.requests if r["json"] and r["json"]["model"] == "swift"][-1]
    assert swift["messages"][0] == {"role": "system", "content": "Answer like a pirate."}
    assert [m["role"] for m in swift["messages"]] == ["system", "user", "assistant", "user"]

    page.goto("/chat/new")
    page.get_by_role("link", name="Compare these on two lines").click()
    expect(answer(page, 2).locator("[data-md]")).to_have_text(f"Steady: {WORDS}")
    expect(page.get_by_role("group", name="Model A").get_by_label("System prompt")).to_have_value(
        "Answer like a pirate.")


def test_stop_and_markdown_that_cannot_run_script(page, make_user, fake_llm):
    owner = make_user("eve")
    model(owner, fake_llm, "slow", name="Slow", reply=WORDS * 3, ttft=0.05, token_delay=0.3)
    trick = ("Look: <script>window.__pwned = 1</script> <img src=x onerror=\"window.__pwned = 2\">\n\n"
             "```python\nprint('hi')\n```\n\n**bold**")
    model(owner, fake_llm, "trick", name="Trick", reply=trick)
    sign_in(page, "eve")

    page.goto("/chat/new")
    pick(page, "A", "Slow")
    page.get_by_label("Message").fill("Go on")
    page.get_by_role("button", name="Send").click()
    expect(answer(page, 1)).to_contain_text("alpha beta")
    page.get_by_role("button", name="Stop").click()
    expect(answer(page, 1).locator("[data-status-badge]")).to_have_text("stopped")
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()

    page.goto("/chat/new")
    pick(page, "A", "Trick")
    page.get_by_label("Message").fill("Show me")
    page.get_by_label("Message").press("Enter")
    card = answer(page, 1)
    expect(card.locator("[data-status-badge]")).to_have_text("complete")
    expect(card.locator("strong")).to_have_text("bold")
    expect(card.locator("pre code")).to_contain_text("print('hi')")
    expect(card.get_by_role("button", name="Copy code")).to_be_visible()
    button, code = card.get_by_role("button", name="Copy code").bounding_box(), card.locator("pre code").bounding_box()
    assert button["y"] + button["height"] <= code["y"], "the Copy code button covers the code's first line"
    expect(card).to_contain_text("<script>window.__pwned = 1</script>")  # shown as text
    assert card.locator("script, img").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.reload()
    expect(answer(page, 1).locator("strong")).to_have_text("bold")
    assert page.evaluate("window.__pwned") is None
