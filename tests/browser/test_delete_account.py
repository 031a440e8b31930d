"""A developer downloads their data, then deletes their account with their password;
an administrator's Delete names what is lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def gateway(page, server_url, key, product):
    return page.request.get(
        f"{server_url}/gateway/check",
        headers={"Ocp-Apim-Subscription-Key": key, "X-Product": product},
    ).status


def test_a_developer_downloads_their_data_then_deletes_the_account(
    page, server_url, demo, sign_in, screenshot
):
    sign_in("dana@example.com")
    page.goto(f"{server_url}/products/starter/")
    page.get_by_label("Subscription name").fill("Dana's dashboard")
    page.get_by_label("I accept the terms of use").check()
    page.get_by_role("button", name="Subscribe").click()
    card = page.locator("section.subscription-card").filter(has_text="Dana's dashboard")
    card.get_by_role("link", name="Show").click()
    key = card.locator("[data-key=primary]").inner_text().strip()
    assert gateway(page, server_url, key, "starter") == 204

    # Download my data: a JSON file with the subscription, and no key.
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download my data").click()
    text = Path(downloading.value.path()).read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["profile"]["email"] == "dana@example.com"
    assert "Dana's dashboard" in [s["name"] for s in data["subscriptions"]]
    assert key not in text

    # Delete my account: a wrong password changes nothing.
    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_text("cancelled first so its keys stop working at once")).to_be_visible()
    page.get_by_label("Your current password").fill("not-the-password")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("That isn't your current password.")).to_be_visible()
    screenshot("portal-account-delete-wrong-password")
    assert gateway(page, server_url, key, "starter") == 204

    page.get_by_label("Your current password").fill(DEMO_PASSWORD)
    screenshot("portal-account-delete")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    assert gateway(page, server_url, key, "starter") == 401

    sign_in("dana@example.com")
    expect(page.get_by_text("That email and password don't match an account.")).to_be_visible()


def test_an_administrator_deletes_an_account_after_the_confirmation(
    page, server_url, demo, sign_in, screenshot
):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/users/?q=dana")
    screenshot("console-users-dana")
    page.locator("table a").filter(has_text="Dana").first.click()
    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_text("What is lost")).to_be_visible()
    screenshot("console-user-delete")
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("Deleted dana@example.com.")).to_be_visible()
    expect(page).to_have_url(f"{server_url}/console/users/")
