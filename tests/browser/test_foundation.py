from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_signs_in_opens_the_console_and_signs_out(
    page, server_url, demo, sign_in, screenshot
):
    page.goto(server_url)
    expect(page.get_by_role("heading", name="APIs for building with us")).to_be_visible()
    screenshot("portal-landing")
    page.get_by_role("navigation", name="Developer portal").get_by_role(
        "link", name="Sign in"
    ).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot("sign-in")
    sign_in("admin@example.com")
    # An administrator signing in with no next lands in the console.
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    menu = page.get_by_role("navigation", name="Console sections")
    for entry in ["Groups", "Products", "Subscriptions", "Users"]:
        expect(menu.get_by_role("link", name=entry)).to_be_visible()
    screenshot("console-overview")
    menu.get_by_role("link", name="Subscriptions").click()
    expect(page.get_by_role("heading", name="Subscriptions", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    page.goto(f"{server_url}/console/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_developer_is_refused_the_console(page, server_url, demo, sign_in, screenshot):
    sign_in("alice@example.com")
    expect(page.get_by_role("link", name="Profile")).to_be_visible()
    expect(page.get_by_role("link", name="Console")).to_have_count(0)
    response = page.goto(f"{server_url}/console/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You don't have access to this page")).to_be_visible()
    screenshot("console-refused")


def test_blocked_developer_is_told_plainly(page, server_url, demo, sign_in, screenshot):
    sign_in("erik@example.com")
    expect(page.get_by_text("This account is blocked")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("erik@example.com")
    screenshot("sign-in-blocked")


def test_keyboard_reaches_the_sign_in_form(page, server_url, demo):
    page.goto(server_url)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.goto(f"{server_url}/signin/")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("alice@example.com")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("demo-browser-password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
