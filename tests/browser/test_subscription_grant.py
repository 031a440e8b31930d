"""An administrator grants a subscription on a product, or on one API, the developer
can't see (Subscriptions › + Add subscription); the developer finds it, with keys, on
their profile."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_grants_bob_partner_logistics(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot
):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/subscriptions/")
    page.get_by_role("link", name="+ Add subscription").click()
    expect(page.get_by_role("heading", name="Add a subscription")).to_be_visible()

    # Typing part of a name suggests addresses, a few at a time.
    page.get_by_role("combobox", name="Developer").fill("okafor")
    # Suggestions come after a pause in typing, and also for what was typed before the
    # page's script had loaded (found when this test typed faster than the script loaded).
    expect(page.locator("#developer-options option[value='bob@example.com']")).to_have_count(1)
    page.get_by_role("combobox", name="Developer").fill("bob@example.com")
    page.get_by_role("combobox", name="Scope").select_option(label="Partner logistics")
    page.get_by_label("Subscription name").fill("Bob's logistics trial")
    expect(page.get_by_label("As the product or API says")).to_be_checked()
    screenshot("subscription-grant-form")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_text("Granted “Bob's logistics trial” to bob@example.com")).to_be_visible()
    expect(page.get_by_text("They can't see Partner logistics in the portal")).to_be_visible()
    expect(page.get_by_role("heading", name="Bob's logistics trial")).to_be_visible()
    granted_by = page.locator("dt", has_text="Granted by").locator("xpath=following-sibling::dd[1]")
    expect(granted_by).to_contain_text("Ada Admin")
    screenshot("subscription-granted")

    # Bob still can't see the product, yet has the subscription and its keys.
    bob = new_signed_in_page("bob@example.com")
    bob.goto(f"{server_url}/products/partner-logistics/")
    expect(bob.get_by_role("heading", name="Page not found")).to_be_visible()
    bob.goto(f"{server_url}/profile/")
    card = bob.locator("section.subscription-card").filter(has_text="Bob's logistics trial")
    expect(card).to_contain_text("Partner logistics")
    expect(card).to_contain_text("Active")
    # Named, not linked: its page would be a 404 for Bob.
    expect(card.get_by_role("link", name="Partner logistics")).to_have_count(0)
    card.get_by_role("link", name="Show").click()
    key = card.locator("[data-key=primary]").inner_text().strip()
    assert len(key) >= 32
    screenshot("portal-profile-granted", of=bob)
    check = bob.request.get(
        f"{server_url}/gateway/check",
        headers={"Ocp-Apim-Subscription-Key": key, "X-Product": "partner-logistics"},
    )
    assert check.status == 204


def test_an_administrator_grants_bob_the_shipments_api_from_its_page(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot
):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/apis/shipments/")
    page.get_by_role("link", name="+ Add subscription").click()
    expect(page.get_by_role("heading", name="Add a subscription")).to_be_visible()
    # The API's page chose the scope: Shipments, among the APIs.
    scope = page.get_by_role("combobox", name="Scope")
    expect(scope).to_have_value("apis/shipments")
    expect(scope.locator("optgroup[label='APIs (one API alone)'] option:checked")).to_have_text(
        "Shipments"
    )
    page.get_by_role("combobox", name="Developer").fill("bob@example.com")
    page.get_by_label("Subscription name").fill("Bob's shipment tracker")
    page.get_by_label("Active: the keys work at once").check()
    screenshot("subscription-grant-api-form")
    page.get_by_role("button", name="Create").click()

    expect(
        page.get_by_text(
            "Granted “Bob's shipment tracker” to bob@example.com for the Shipments API."
        )
    ).to_be_visible()
    expect(page.get_by_text("They can't see the Shipments API in the portal")).to_be_visible()
    expect(page.get_by_text("(this API alone, ID shipments)")).to_be_visible()
    screenshot("subscription-granted-api")

    bob = new_signed_in_page("bob@example.com")
    bob.goto(f"{server_url}/profile/")
    card = bob.locator("section.subscription-card").filter(has_text="Bob's shipment tracker")
    expect(card).to_contain_text("API: Shipments")
    expect(card).to_contain_text("Active")
    card.get_by_role("link", name="Show").click()
    key = card.locator("[data-key=primary]").inner_text().strip()
    check = bob.request.get(
        f"{server_url}/gateway/check",
        headers={"Ocp-Apim-Subscription-Key": key, "X-Api": "shipments"},
    )
    assert check.status == 204
