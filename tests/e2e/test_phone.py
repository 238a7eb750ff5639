"""On a phone (390 px wide): the menu button reaches every page, by mouse and by keyboard; chat follows the stream."""
import re

import pytest
from playwright.sync_api import expect

from tests.chat_helpers import model
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e
NAV = [("Dashboard", r"/dashboard$"), ("Models", r"/models/$"), ("Datasets", r"/datasets/$"),
       ("Chat", r"/chat/new$"), ("Evaluations", r"/evals/$"), ("Benchmarks", r"/perf/$"), ("Admin", r"/admin/users$")]


def test_the_menu_button_reaches_every_page_on_a_phone(phone, make_user):
    make_user("pat", password="pat-pass-123", role="admin")
    sign_in(phone, "pat", "pat-pass-123")
    menu_button = phone.get_by_role("button", name="Menu")
    for text, url in NAV:
        expect(phone.get_by_role("link", name=text, exact=True)).to_be_hidden()  # folded away
        menu_button.click()
        link = phone.get_by_role("navigation", name="Main").get_by_role("link", name=text, exact=True)
        expect(link).to_be_visible()
        box, select = link.bounding_box(), phone.locator("#lang-select").bounding_box()
        overlaps = not (box["x"] + box["width"] <= select["x"] or select["x"] + select["width"] <= box["x"]
                        or box["y"] + box["height"] <= select["y"] or select["y"] + select["height"] <= box["y"])
        assert not overlaps, f"the language selector covers {text}"
        link.click()
        expect(phone).to_have_url(re.compile(url))

    menu_button.focus()  # the keyboard: open with Enter, move with Tab, close with Escape
    phone.keyboard.press("Enter")
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_be_focused()
    phone.keyboard.press("Escape")
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(menu_button).to_be_focused()
    phone.keyboard.press("Enter")
    for _ in range(3):
        phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile(r"/datasets/$"))


def _end_visible_above_composer(page) -> bool:
    """The bottom of the streaming answer is on screen, not hidden behind the sticky composer."""
    return page.evaluate("""() => {
        const card = [...document.querySelectorAll('#transcript [data-answer]')].pop();
        const composer = document.getElementById('chat-form').getBoundingClientRect();
        const end = card.getBoundingClientRect().bottom;
        return end > 0 && end <= composer.top + 2;
    }""")


def test_chat_follows_the_stream_until_the_reader_scrolls_up(phone, make_user, fake_llm):
    owner = make_user("quinn", password="quinn-pass-1")
    long = "\n\n".join(f"Line {i} of a long answer." for i in range(60))
    model(owner, fake_llm, "talker", name="Talker", ttft=0.05, token_delay=0.04,
          reply=lambda messages, _request: "Short." if messages[-1]["content"] == "Warm up" else long)
    sign_in(phone, "quinn", "quinn-pass-1")
    phone.goto("/chat/new")
    phone.get_by_role("group", name="Model A").get_by_label("Model", exact=True).select_option(label="Talker")
    for turn in range(1, 4):  # some history first, so the new turn starts below the fold
        phone.get_by_label("Message").fill("Warm up")
        phone.get_by_label("Message").press("Enter")
        expect(phone.locator("#transcript [data-status-badge]")).to_have_count(turn)
        expect(phone.locator("#transcript [data-status-badge]").last).to_have_text("complete")
    phone.evaluate("window.scrollTo(0, 0)")
    phone.get_by_label("Message").fill("Tell me everything")
    phone.get_by_role("button", name="Send").click()

    answer = phone.locator("#transcript [data-answer]").last
    for n in (5, 15, 25):
        expect(answer).to_contain_text(f"Line {n} of")
        assert _end_visible_above_composer(phone), f"the answer grew behind the composer at line {n}"

    phone.mouse.move(195, 300)
    phone.mouse.wheel(0, -400)
    phone.wait_for_function("window.scrollY > 0")
    held = phone.evaluate("window.scrollY")
    expect(answer).to_contain_text("Line 40 of")
    assert phone.evaluate("window.scrollY") == held, "the page pulled the reader back down"
    expect(answer.locator("[data-status-badge]")).to_have_text("complete", timeout=20000)


def test_a_wide_table_on_a_phone_scrolls_shows_it_and_takes_the_keyboard(phone, make_user, fake_llm):
    from tests.e2e import seed
    owner = make_user("wade", password="wade-pass-123")
    main, judge = seed._models(owner, fake_llm)
    mcq, qa = seed._datasets(owner)
    seed._finished_run(owner, main, judge, mcq, qa)
    sign_in(phone, "wade", "wade-pass-123")
    phone.goto(f"/leaderboards/{mcq.id}")
    wrapper = phone.get_by_role("region", name=re.compile("Leaderboard")).filter(has=phone.locator("[data-leaderboard]"))
    assert wrapper.evaluate("el => el.scrollWidth > el.clientWidth"), "the board fits a phone: nothing to test"
    shadows = wrapper.evaluate("el => getComputedStyle(el).backgroundImage")
    assert shadows.count("gradient(") == 4, f"no scroll shadows: {shadows}"  # two edge shadows, two covers
    assert wrapper.get_attribute("tabindex") == "0"
    wrapper.focus()
    expect(wrapper).to_be_focused()
    phone.keyboard.press("ArrowRight")  # the keyboard scrolls it sideways
    for _ in range(50):
        if wrapper.evaluate("el => el.scrollLeft") > 0:
            break
        phone.wait_for_timeout(100)
    assert wrapper.evaluate("el => el.scrollLeft") > 0, "the arrow key did not scroll the table"
