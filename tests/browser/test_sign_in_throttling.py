"""A person who keeps mistyping their password is paused, and an administrator lets them back in."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_repeated_wrong_passwords_pause_sign_in_until_an_administrator_lifts_it(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot
):
    console = new_signed_in_page("admin@example.com")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in("bob@example.com", "a wrong password")
        expect(page.get_by_text("That email and password don't match an account")).to_be_visible()
    sign_in("bob@example.com", "a wrong password")
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()
    expect(page.get_by_text("signing in is paused for 15 minutes, until")).to_be_visible()
    screenshot("sign-in-paused")

    # Remembering the password doesn't help while the pause lasts.
    sign_in("bob@example.com")
    expect(page.get_by_role("heading", name="Sign-in paused")).to_be_visible()

    console.get_by_role("link", name="Console").click()
    console.get_by_role("navigation", name="Console sections").get_by_role(
        "link", name="Users"
    ).click()
    console.get_by_role("searchbox").fill("bob@example.com")
    console.keyboard.press("Enter")
    console.get_by_role("link", name="Bob Okafor").click()
    expect(console.get_by_text("Sign-in is paused after")).to_be_visible()
    screenshot("console-user-sign-in-paused", of=console)
    console.get_by_role("button", name="Lift the pause").click()
    expect(
        console.get_by_text("Lifted the sign-in pause: bob@example.com can sign in now.")
    ).to_be_visible()
    expect(console.get_by_text("Sign-in is paused after")).to_have_count(0)

    page.get_by_role("link", name="Back to sign-in").click()
    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_label("Password").fill("demo-browser-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
