"""Every page, in both languages, at desktop and phone width: it loads, nothing spills sideways off a phone screen.

With ``EVALHUB_SCREENSHOTS=<dir>`` the tour saves a full-page screenshot of each visit there
(``<lang>-<width>-<page>.png``), so a person can look at all of them at once.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.seed import seed
from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e
WIDTHS = {1440: 900, 390: 844}
#: The innermost elements that reach past the right edge of the screen (to say what spills).
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.querySelector('*'))
    .slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.name ? `[name=${el.name}]` : '')
                             + (el.className && el.className.baseVal === undefined ? '.' + el.className : ''))"""


def tour(ids: dict) -> list[tuple[str, str]]:
    """(name, path) of every page a signed-in admin can open."""
    run, sample, ds = ids["run"], ids["sample"], ids["dataset"]
    return [
        ("dashboard", "/dashboard"), ("models", "/models/"), ("models-page2", "/models/?page=2"),
        ("model-new", "/models/new"), ("model-edit", f"/models/{ids['model']}/edit"),
        ("datasets", "/datasets/"), ("datasets-page2", "/datasets/?page=2"), ("dataset-upload", "/datasets/upload"),
        ("dataset", f"/datasets/{ds}"), ("dataset-rows-page2", f"/datasets/{ds}?page=2"),
        ("dataset-row-new", f"/datasets/{ds}/rows/new"),
        ("chat-new", "/chat/new"), ("chat", f"/chat/{ids['conversation']}"),
        ("arena-new", "/chat/arena"), ("arena-battle", f"/chat/{ids['arena']}"),
        ("arena-decided", f"/chat/{ids['arena_decided']}"), ("arena-board", "/leaderboards/arena"),
        ("leaderboards", "/leaderboards/"), ("leaderboard", f"/leaderboards/{ds}"),
        ("evals", "/evals/"), ("evals-page2", "/evals/?page=2"), ("eval-new", "/evals/new"),
        ("eval-run", f"/evals/{run}"), ("eval-samples", f"/evals/{run}/samples"),
        ("eval-samples-page2", f"/evals/{run}/samples?page=2"), ("eval-sample", f"/evals/{run}/samples/{sample}"),
        ("perf", "/perf/"), ("perf-page2", "/perf/?page=2"), ("perf-new", "/perf/new"),
        ("perf-run", f"/perf/{ids['bench']}"),
        ("profile", "/profile"), ("admin-users", "/admin/users"), ("admin-audit", "/admin/audit"),
        ("admin-settings", "/admin/settings"), ("admin-runs", "/admin/runs"), ("not-found", "/evals/999999"),
    ]


def test_every_page_in_both_languages_at_desktop_and_phone_width(browser, live_server, make_user, fake_llm):
    admin = make_user("tourist", password="tour-pass-123", role="admin")
    ids = seed(admin, fake_llm)
    out = os.environ.get("EVALHUB_SCREENSHOTS")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
    problems = []
    for lang in ("en", "zh"):
        for width, height in WIDTHS.items():
            context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(15000)
            sign_in(page, "tourist", "tour-pass-123")
            if page.locator("#lang-select").input_value() != lang:  # the choice is kept per user
                with page.expect_navigation():
                    page.locator("#lang-select").select_option(lang)
            for name, path in tour(ids):
                response = page.goto(path)
                expected = 404 if name == "not-found" else 200
                if response.status != expected:
                    problems.append(f"{lang} {width} {path}: HTTP {response.status}")
                spill = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if spill > 1:
                    problems.append(f"{lang} {width} {path}: the page is {spill}px wider than the screen "
                                    f"({', '.join(page.evaluate(WIDEST))})")
                if out:
                    page.screenshot(path=str(Path(out) / f"{lang}-{width}-{name}.png"), full_page=True)
            context.close()
    problems += _dark_mode(browser, live_server, ids, out)
    assert not problems, "\n".join(problems)


#: WCAG contrast of an element's text against its background, and of that background against its surroundings.
CONTRAST = """(el) => {
  const rgb = (c) => { const ctx = document.createElement('canvas').getContext('2d'); ctx.fillStyle = c;
    ctx.fillRect(0, 0, 1, 1); return [...ctx.getImageData(0, 0, 1, 1).data]; };
  const lum = (c) => { const [r, g, b] = rgb(c).slice(0, 3).map((v) => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (x, y) => (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  let around = el.parentElement;
  while (around && rgb(getComputedStyle(around).backgroundColor)[3] === 0) around = around.parentElement;
  const bg = getComputedStyle(el).backgroundColor;
  return [ratio(lum(getComputedStyle(el).color), lum(bg)), ratio(lum(bg), lum(getComputedStyle(around).backgroundColor))];
}"""


def _dark_mode(browser, live_server, ids, out) -> list[str]:
    """In the dark theme the current nav item and conversation stand out and stay readable."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, "tourist", "tour-pass-123")
    page.evaluate("localStorage.setItem('evalhub-theme', 'dark')")
    problems = []
    page.goto(f"/chat/{ids['conversation']}")
    for name, locator in (("nav item", "header nav:visible a[aria-current=page]"),
                          ("conversation", "#conversation-list a[aria-current=page]")):
        text, stands_out = page.locator(locator).evaluate(CONTRAST)
        if text < 4.5 or stands_out < 3:
            problems.append(f"dark theme: the current {name} reads at contrast {text:.1f} (4.5 needed) and stands "
                            f"out from its surroundings at {stands_out:.1f} (3 needed)")
    if out:
        page.screenshot(path=str(Path(out) / "dark-1440-chat.png"), full_page=True)
    context.close()
    return problems
