"""A person starts a blind arena battle, sees "Model A/B" and no name anywhere in the page, votes by keyboard, sees
the names revealed, and opens the human-preference leaderboard; the battle works on a phone too."""
import re

import pytest
from playwright.sync_api import expect

from tests.chat_helpers import chat_ready, model
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e
NAMES = ("Falcon", "Heron")


def _battle(page):
    """From the chat page, start a battle of the two models and get both answers of one message."""
    page.get_by_role("link", name="Blind arena").click()
    expect(page).to_have_url(re.compile(r"/chat/arena$"))
    for name in NAMES:
        page.get_by_label(name).check()
    page.get_by_role("button", name="Start the battle").click()
    expect(page).to_have_url(re.compile(r"/chat/\d+$"))
    chat_ready(page)
    box = page.get_by_label("Message")
    box.fill("Which bird flies higher?")
    box.press("Enter")
    for slot in (1, 2):
        card = page.locator(f'#transcript [data-answer][data-slot="{slot}"]')
        expect(card.locator("[data-status-badge]")).to_have_text("complete", timeout=20000)
        expect(card.locator("[data-model-name]")).to_have_text(f"Model {'AB'[slot - 1]}")


def test_blind_battle_vote_reveal_and_board(page, make_user, fake_llm):
    owner = make_user("arno", password="arno-pass-123")
    for name in NAMES:
        model(owner, fake_llm, f"{name.lower()}-e2e", name=name, reply="Both answers look alike.", token_delay=0.02)
    sign_in(page, "arno", "arno-pass-123")
    page.goto("/chat/new")
    _battle(page)
    html = page.content()
    assert not any(name in html or name.lower() in html for name in NAMES), "a model's name leaked before the vote"

    vote = page.locator("#arena-vote")
    expect(vote).to_be_visible()
    expect(vote.locator(":focus")).to_have_count(1)  # the answers are in: focus moved from the message box to the vote
    expect(page.locator("#chat-status")).to_have_text("All answers are in. Your vote: which answer is better?")
    choice = vote.get_by_role("radio", name="Model A")
    expect(choice).to_be_focused()  # by keyboard: Space picks, Enter in the reason field sends
    page.keyboard.press("Space")
    expect(choice).to_be_checked()
    vote.get_by_label("Why? (optional)").fill("clearer")
    vote.get_by_label("Why? (optional)").press("Enter")

    revealed = page.locator("[data-revealed]")
    expect(revealed).to_be_visible()
    winner = page.locator('[data-revealed-name="A"]').inner_text()
    assert winner in NAMES and page.locator('[data-revealed-name="B"]').inner_text() in NAMES
    expect(page.locator("[data-vote-choice]")).to_contain_text("clearer")
    expect(page.locator("#transcript [data-answer][data-slot='1'] [data-model-name]")).to_have_text(winner)
    expect(page.get_by_label("Message")).to_be_hidden()  # the battle is decided

    page.get_by_role("link", name="Human-preference leaderboard").click()
    first = page.locator('[data-arena-board="blind"] tbody tr').first
    expect(first).to_contain_text(winner)
    expect(first).to_contain_text("needs more votes")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboards").click()
    expect(page.get_by_role("link", name=re.compile("Human preference"))).to_be_visible()


def test_blind_battle_on_a_phone(phone, make_user, fake_llm):
    owner = make_user("pia", password="pia-pass-1234")
    for name in NAMES:
        model(owner, fake_llm, f"{name.lower()}-phone", name=name, reply="Alike.")
    sign_in(phone, "pia", "pia-pass-1234")
    phone.goto("/chat/new")
    _battle(phone)
    composer = phone.locator("#chat-form").bounding_box()  # sticky at the bottom: it must not hide the battle
    assert composer["height"] <= 844 / 6, f"the message box takes {composer['height']} px of a 844 px phone screen"
    vote = phone.locator("#arena-vote")
    vote.get_by_role("radio", name="Tie").check()
    vote.get_by_role("button", name="Vote and reveal the models").click()
    expect(phone.locator("[data-revealed]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
