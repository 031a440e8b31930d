"""An administrator imports an API from a file, puts it in a product, and re-imports it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import openapi_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGED = [
    ("get", "/shipments", "listShipments", ["Shipments"]),
    ("post", "/shipments", "createShipment", ["Shipments", "Writes"]),
    ("get", "/shipments/{id}", "getShipment", ["Shipments"]),
    ("get", "/shipments/{id}/track", "trackShipment", ["Tracking"]),
]


def test_import_add_to_a_product_and_reimport(
    page, server_url, demo, sign_in, screenshot, tmp_path
):
    first = tmp_path / "shipments.json"
    first.write_text(openapi_text("Freight"), encoding="utf-8")
    second = tmp_path / "shipments-v2.json"
    second.write_text(openapi_text("Freight", CHANGED), encoding="utf-8")

    # Console › APIs › + Add API › upload › Import
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/")
    page.get_by_role("navigation", name="Console sections").get_by_role("link", name="APIs").click()
    expect(page.get_by_role("heading", name="APIs", exact=True)).to_be_visible()
    screenshot("apis-list")
    page.get_by_role("link", name="+ Add API").click()
    page.get_by_label("Upload an OpenAPI file").set_input_files(str(first))
    page.get_by_label("URL suffix").fill("freight")
    screenshot("apis-import")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported Freight with 4 operations.")).to_be_visible()
    expect(page.get_by_role("heading", name="Freight", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="listShipments")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="cancelShipment")).to_be_visible()
    screenshot("api-overview")

    # Products › + Add to product › pick › Select
    page.get_by_role("link", name="Products", exact=True).last.click()
    page.get_by_role("link", name="+ Add to product").click()
    page.get_by_label("Search products by name or description").fill("partner")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Partner logistics").check()
    screenshot("api-add-to-products")
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Freight is now in Partner logistics.")).to_be_visible()
    screenshot("api-products")

    # The product's APIs tab lists it.
    page.get_by_role("link", name="Partner logistics", exact=True).click()
    expect(page.get_by_role("link", name="APIs", exact=True).last).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("row").filter(has_text="Freight")).to_be_visible()
    screenshot("product-apis")

    # Re-import a changed document: the preview shows the difference; Confirm applies it.
    page.goto(f"{server_url}/console/apis/freight/")
    page.get_by_role("link", name="Re-import").first.click()
    page.get_by_label("Upload an OpenAPI file").set_input_files(str(second))
    page.get_by_role("button", name="Preview the changes").click()
    expect(page.get_by_text("1 added")).to_be_visible()
    expect(page.get_by_text("1 removed")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="/shipments/{id}/track")).to_be_visible()
    screenshot("api-reimport-preview")
    page.get_by_role("button", name="Confirm").click()
    expect(
        page.get_by_text("Re-imported Freight: 1 operation added, 1 changed, 1 removed.")
    ).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="trackShipment")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="cancelShipment")).to_have_count(0)
    screenshot("api-after-reimport")


def test_a_refused_upload_keeps_its_text_to_correct(
    page, server_url, demo, sign_in, screenshot, tmp_path
):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "openapi: 3.0.3\ninfo:\n  title: Broken\n  version: '1'\npaths:\n  /a:\n    get: {}\n"
    )
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/apis/new/")
    page.get_by_label("Upload an OpenAPI file").set_input_files(str(broken))
    page.get_by_label("URL suffix").fill("broken")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("The content of broken.yaml is in the box below")).to_be_visible()
    expect(page.get_by_text("Line ").first).to_be_visible()
    box = page.get_by_label("Or paste the document")
    assert "title: Broken" in box.input_value()
    screenshot("apis-import-refused")
    # Corrected in the box, it goes through without uploading again.
    box.fill(box.input_value().replace("get: {}", "get: {responses: {'200': {description: OK}}}"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported Broken with 1 operation.")).to_be_visible()
