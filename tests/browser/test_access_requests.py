"""A developer finds a listed product, asks for access, and sees it once approved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import Group
from portal.models import User
from products import services
from products.models import AccessRequest, Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_developer_requests_access_to_a_listed_product_and_sees_it_once_approved(
    page, server_url, demo, sign_in, screenshot
):
    # Partner logistics is seen by Partners only; the administrators list it.
    logistics = Product.objects.get(name="partner-logistics")
    services.update_product(product=logistics, expected_version=None, listed=True)

    # Bob isn't a partner: the catalogue shows the product as listed.
    sign_in("bob@example.com")
    page.get_by_role("link", name="Products").first.click()
    card = page.locator(".product-card").filter(has_text="Partner logistics")
    expect(card).to_contain_text("Listed — request access")
    screenshot("listed-catalogue")
    card.get_by_role("link", name="Partner logistics").click()

    # Its page has the name, the description and Request access: nothing else.
    expect(page.get_by_role("heading", name="Partner logistics")).to_be_visible()
    expect(page.get_by_text("Shipment tracking and pickups")).to_be_visible()
    expect(page.get_by_text("Partner agreement")).to_have_count(0)
    expect(page.get_by_role("button", name="Subscribe")).to_have_count(0)
    page.get_by_label("Why do you need access?").fill("I build Acme's shipping integration.")
    screenshot("listed-product")
    page.get_by_role("button", name="Request access").click()
    expect(
        page.get_by_text("Your request for access to Partner logistics was sent.")
    ).to_be_visible()
    expect(page.locator("#request-access")).to_contain_text("Waiting")
    screenshot("listed-product-waiting")

    # The profile shows the request waiting, withdrawable.
    page.goto(f"{server_url}/profile/")
    row = page.get_by_role("row").filter(has_text="Partner logistics")
    expect(row).to_contain_text("Waiting")
    expect(row.get_by_role("button", name="Withdraw")).to_be_visible()

    # An administrator approves into Partners (the inbox page is built elsewhere).
    services.approve_access_request(
        request=AccessRequest.objects.get(),
        decided_by=User.objects.get(email="admin@example.com"),
        group=Group.objects.get(name="partners"),
    )

    # Bob reloads: the whole product, with its APIs and Subscribe.
    page.goto(f"{server_url}/products/partner-logistics/")
    expect(page.get_by_role("heading", name="APIs")).to_be_visible()
    expect(page.get_by_text("Partner agreement")).to_be_visible()
    expect(page.get_by_role("button", name="Subscribe")).to_be_visible()
    page.goto(f"{server_url}/profile/")
    expect(page.get_by_role("row").filter(has_text="Partner logistics")).to_contain_text("Approved")
