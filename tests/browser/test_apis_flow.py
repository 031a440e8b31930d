"""Issue 11's whole flow, as people do it: an administrator imports an OpenAPI file and puts
the API in a product that Partners see; a partner finds it, reads it and downloads it; a
developer outside Partners gets 404 for both; a guest sees the Guests' APIs and no Subscribe."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.conftest import openapi_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCKERS = [
    ("get", "/lockers", "listLockers", ["Lockers"]),
    ("get", "/lockers/{id}", "getLocker", ["Lockers"]),
    ("post", "/lockers/{id}/reservations", "reserveLocker", ["Reservations"]),
]


def test_import_share_with_partners_and_who_sees_it(
    page, server_url, demo, sign_in, new_signed_in_page, tmp_path
):
    document = tmp_path / "parcel-lockers.yaml"
    document.write_text(openapi_text("Parcel lockers", LOCKERS), encoding="utf-8")

    # The administrator: APIs › + Add API › upload › Import.
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/apis/")
    page.get_by_role("link", name="+ Add API").click()
    page.get_by_label("Upload an OpenAPI file").set_input_files(str(document))
    page.get_by_label("URL suffix").fill("lockers")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported Parcel lockers with 3 operations.")).to_be_visible()

    # Products › + Add to product › Partner logistics (seen by Partners) › Select.
    page.get_by_role("link", name="Products", exact=True).last.click()
    page.get_by_role("link", name="+ Add to product").click()
    page.get_by_label("Search products by name or description").fill("partner")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Partner logistics").check()
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Parcel lockers is now in Partner logistics.")).to_be_visible()

    # A partner finds it under APIs, opens its reference and downloads the document.
    alice = new_signed_in_page("alice@example.com")
    alice.get_by_role("navigation", name="Developer portal").get_by_role(
        "link", name="APIs"
    ).click()
    alice.get_by_label("Search APIs").fill("lockers")  # the top bar has a search box too
    alice.get_by_role("button", name="Apply").click()
    alice.get_by_role("link", name="Parcel lockers").click()
    expect(alice.get_by_role("heading", name="Parcel lockers", level=1)).to_be_visible()
    expect(alice.get_by_role("heading", name="Reserve locker")).to_be_visible()
    expect(alice.get_by_role("link", name="Subscribe to this API")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(SCREENSHOTS / "portal-api-reference-top.png"))
    with alice.expect_download() as download_info:
        alice.get_by_role("link", name="Download OpenAPI (JSON)").click()
    saved = tmp_path / "downloaded.json"
    download_info.value.save_as(saved)
    downloaded = json.loads(saved.read_text())
    assert sorted(downloaded["paths"]) == [
        "/lockers",
        "/lockers/{id}",
        "/lockers/{id}/reservations",
    ]
    assert downloaded["servers"][0]["url"].endswith("/lockers")

    # Bob, a developer outside Partners: the page and the document are 404s.
    bob = new_signed_in_page("bob@example.com")
    assert bob.goto(f"{server_url}/apis/parcel-lockers/").status == 404
    expect(bob.get_by_role("heading", name="Page not found")).to_be_visible()
    assert bob.request.get(f"{server_url}/apis/parcel-lockers/openapi.json").status == 404
    bob.goto(f"{server_url}/apis/")
    expect(bob.get_by_role("link", name="Parcel lockers")).to_have_count(0)

    # A guest sees the Guests' APIs, and nothing offers to subscribe.
    guest = page.context.browser.new_context().new_page()
    guest.goto(f"{server_url}/apis/")
    shown = sorted(guest.locator(".api-list-item h2 a").all_inner_texts())
    assert "Parcel lockers" not in shown and shown
    guest.get_by_role("link", name=shown[0]).click()
    expect(guest.get_by_role("heading", name=shown[0], level=1)).to_be_visible()
    expect(guest.get_by_role("link", name="Subscribe to this API")).to_have_count(0)
    expect(guest.get_by_role("button", name="Subscribe to this API")).to_have_count(0)
    assert guest.goto(f"{server_url}/apis/parcel-lockers/").status == 404
    guest.context.close()
