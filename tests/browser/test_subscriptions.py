"""Subscribe, approve, use the keys at the gateway, regenerate and cancel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def gateway(page, server_url, key, product):
    response = page.request.get(
        f"{server_url}/gateway/check",
        headers={"Ocp-Apim-Subscription-Key": key, "X-Product": product},
    )
    return response.status


def shown_key(page, subscription_name, which="primary"):
    card = page.locator("section.subscription-card").filter(has_text=subscription_name)
    card.get_by_role("link", name="Show").click()
    return card.locator(f"[data-key={which}]").inner_text().strip()


def test_subscribe_use_regenerate_and_cancel(page, server_url, demo, sign_in, screenshot):
    sign_in("dana@example.com")
    page.goto(f"{server_url}/products/starter/")
    page.get_by_label("Subscription name").fill("Dana's dashboard")
    page.get_by_label("I accept the terms of use").check()
    screenshot("portal-subscribe")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_text("Subscribed to Starter")).to_be_visible()
    key = shown_key(page, "Dana's dashboard")
    assert len(key) >= 32
    screenshot("portal-profile-keys")
    assert gateway(page, server_url, key, "starter") == 204
    assert gateway(page, server_url, key, "unlimited") == 403

    # The limit is one subscription: the button explains why it is disabled.
    page.goto(f"{server_url}/products/starter/")
    expect(page.get_by_text("You have reached this product's limit of 1")).to_be_visible()
    expect(page.get_by_role("button", name="Subscribe")).to_be_disabled()

    # Regenerate primary › confirm: the old key stops working at once.
    page.goto(f"{server_url}/profile/")
    card = page.locator("section.subscription-card").filter(has_text="Dana's dashboard")
    card.get_by_role("link", name="Regenerate primary").click()
    page.get_by_role("button", name="Regenerate primary key").click()
    expect(page.get_by_text("New primary key for “Dana's dashboard”")).to_be_visible()
    new_key = page.locator("[data-key=primary]").inner_text().strip()
    assert new_key != key
    assert gateway(page, server_url, key, "starter") == 401
    assert gateway(page, server_url, new_key, "starter") == 204

    # Cancel › confirm: it ends, and its keys stop working.
    page.goto(f"{server_url}/profile/")
    card.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Cancel subscription").click()
    expect(page.get_by_text("Cancelled “Dana's dashboard”")).to_be_visible()
    assert gateway(page, server_url, new_key, "starter") == 403


def test_approval_required_product_waits_for_the_administrator(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot
):
    dana = new_signed_in_page("dana@example.com")
    dana.goto(f"{server_url}/products/unlimited/")
    dana.get_by_label("Subscription name").fill("Dana's big app")
    dana.get_by_label("I accept the terms of use").check()
    dana.get_by_role("button", name="Request subscription").click()
    expect(dana.get_by_text("waiting for an administrator's approval")).to_be_visible()
    expect(
        dana.locator("section.subscription-card").filter(has_text="Dana's big app")
    ).to_contain_text("Waiting for approval")

    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/")
    menu = page.get_by_role("navigation", name="Console sections")
    expect(menu.get_by_role("link", name=re.compile("^Approvals"))).to_contain_text("2 waiting")
    menu.get_by_role("link", name="Subscriptions").click()
    page.get_by_label("State").select_option("submitted")
    page.get_by_role("button", name="Apply").click()
    screenshot("subscriptions-list")
    page.get_by_role("link", name="Dana's big app").click()
    screenshot("subscription-approve")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("“Dana's big app” is now active")).to_be_visible()

    dana.goto(f"{server_url}/profile/")
    card = dana.locator("section.subscription-card").filter(has_text="Dana's big app")
    expect(card).to_contain_text("Active")
    key = shown_key(dana, "Dana's big app")
    assert gateway(dana, server_url, key, "unlimited") == 204
