"""A person signs in, changes the password, signs out and signs in with the new password."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def sign_in(page, username, password):
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_login_change_password_logout(page, make_user):
    make_user("erin", password="first-pass-1")
    sign_in(page, "erin", "wrong-pass-1")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    sign_in(page, "erin", "first-pass-1")
    expect(page.get_by_role("heading", name="Welcome, erin")).to_be_visible()

    page.get_by_role("button", name="erin").click()
    page.get_by_role("menuitem", name="Profile").click()
    page.get_by_label("Current password").fill("first-pass-1")
    page.get_by_label("New password", exact=True).fill("second-pass-2")
    page.get_by_label("Repeat new password").fill("second-pass-2")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()

    page.get_by_role("button", name="erin").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    sign_in(page, "erin", "first-pass-1")
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    sign_in(page, "erin", "second-pass-2")
    expect(page.get_by_role("heading", name="Welcome, erin")).to_be_visible()


def test_keyboard_user_can_sign_in(page, make_user):
    make_user("kim", password="keyboard-pass-1")
    page.goto("/login")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("kim")
    page.keyboard.press("Tab")
    page.keyboard.type("keyboard-pass-1")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, kim")).to_be_visible()
