"""A person registers a model, tests its connection and starts a chat from the list with it selected."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_auth_flow import sign_in

pytestmark = pytest.mark.e2e


def test_create_model_and_test_connection(page, make_user, fake_llm):
    make_user("mia", password="mia-pass-123")
    fake_llm.add_model("e2e-model", reply="OK", ttft=0.02)
    sign_in(page, "mia", "mia-pass-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Models").click()
    expect(page.get_by_text("No models yet.")).to_be_visible()
    page.get_by_role("link", name="Add a model").click()
    page.get_by_label("Display name").fill("My e2e model")
    page.get_by_label("Model name").fill("e2e-model")
    page.get_by_label("Base URL").fill("not a url")
    page.get_by_label("API key").fill("sk-e2e-secret-1234")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter an http(s) URL")).to_be_visible()
    page.get_by_label("Base URL").fill(fake_llm.base_url)
    page.get_by_label("API key").fill("sk-e2e-secret-1234")
    page.get_by_role("button", name="Save").click()
    row = page.locator('tr[data-model="My e2e model"]')
    expect(row).to_be_visible()
    row.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connected: first token in")).to_be_visible()
    row = page.locator('tr[data-model="My e2e model"]')
    expect(row.get_by_text("ok ·")).to_be_visible()
    assert "sk-e2e-secret-1234" not in page.content()
    row.get_by_role("link", name="Start chat").click()
    expect(page).to_have_url(re.compile(r"/chat/new\?model=\d+$"))
    slot = page.locator("#slot-1-model")
    expect(slot.locator("option:checked")).to_have_text("My e2e model")
