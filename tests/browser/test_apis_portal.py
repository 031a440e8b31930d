"""A partner finds an API, reads its reference and downloads its document; others can't."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_partner_finds_reads_and_downloads_an_api(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot, tmp_path
):
    sign_in("alice@example.com")  # in Partners
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("navigation", name="Developer portal").get_by_role("link", name="APIs").click()
    expect(page.get_by_role("heading", name="APIs", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Shipments")).to_be_visible()
    screenshot("portal-apis")

    page.get_by_label("Product").select_option(label="Partner logistics")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".api-list-item")).to_have_count(1)
    page.get_by_role("link", name="Shipments").click()

    expect(page.get_by_role("heading", name="Shipments", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Book a shipment")).to_be_visible()
    expect(page.locator(".base-url")).to_contain_text("/logistics/shipments/v1")
    # The Admin operations are for Internal teams only.
    expect(page.get_by_text("Erase a shipment and its personal data")).to_have_count(0)
    page.get_by_role("navigation", name="Operations").get_by_role(
        "link", name="Schedule a pickup"
    ).click()
    expect(page).to_have_url(f"{server_url}/apis/shipments/#op-schedulePickup")
    screenshot("portal-api-reference")  # the whole page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "portal-api-reference-pickup.png"))  # what one sees

    # The pickup's schema is a link to its one table under Schemas.
    page.locator("#op-schedulePickup").get_by_role("link", name="Pickup", exact=True).first.click()
    expect(page).to_have_url(f"{server_url}/apis/shipments/#schema-Pickup")
    expect(page.get_by_role("heading", name="Pickup", exact=True)).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOTS / "portal-api-reference-schema.png"))
    booking = page.locator("#op-createShipment")
    booking.locator("summary", has_text="Example").first.click()  # folded until asked for
    expect(booking.locator("details pre").first).to_be_visible()
    booking.screenshot(path=str(SCREENSHOTS / "portal-api-reference-operation.png"))
    schemas = page.get_by_role("region", name="Schemas")
    expect(schemas.get_by_role("heading", name="Shipment", exact=True)).to_have_count(1)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download OpenAPI (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == "shipments.openapi.json"
    saved = Path(tmp_path) / download.suggested_filename
    download.save_as(saved)
    document = json.loads(saved.read_text())
    assert document["servers"][0]["url"].endswith("/logistics/shipments/v1")
    assert "apiKeyHeader" in document["components"]["securitySchemes"]
    assert "/audit-log" not in document["paths"]
    assert "/pickups" in document["paths"]

    # Bob is a developer outside Partners: the same addresses are 404s.
    bob = new_signed_in_page("bob@example.com")
    assert bob.goto(f"{server_url}/apis/shipments/").status == 404
    expect(bob.get_by_role("heading", name="Page not found")).to_be_visible()
    assert bob.request.get(f"{server_url}/apis/shipments/openapi.json").status == 404


def test_guest_sees_the_guests_apis_without_subscribe(page, server_url, demo, screenshot):
    page.goto(f"{server_url}/apis/")

    names = sorted(page.locator(".api-list-item h2 a").all_inner_texts())
    assert names == ["Forecasts", "Geocoding", "Routing"]
    page.get_by_role("link", name="Geocoding").click()
    expect(page.get_by_role("heading", name="Find places matching a text")).to_be_visible()
    page.get_by_role("link", name="Starter").click()
    expect(page.get_by_role("heading", name="Starter", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Geocoding")).to_be_visible()
    expect(page.get_by_role("button", name="Subscribe")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in to subscribe")).to_be_visible()
    screenshot("portal-product-apis-guest")
