"""The seed document's product steps, and what each kind of visitor then sees."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def catalogue(page, server_url):
    page.goto(f"{server_url}/products/")
    expect(page.get_by_role("heading", name="Products", exact=True)).to_be_visible()
    return sorted(page.locator(".product-card h2").all_inner_texts())


def test_access_control_decides_who_sees_a_product(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot
):
    dana = new_signed_in_page("dana@example.com")  # in Internal teams
    bob = new_signed_in_page("bob@example.com")  # not in Internal teams
    assert "Partner logistics" not in catalogue(dana, server_url)

    # Products › a product › Access control › + Add group › pick › Select
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/")
    menu = page.get_by_role("navigation", name="Console sections")
    menu.get_by_role("link", name="Products").click()
    expect(page.get_by_role("heading", name="Products", exact=True)).to_be_visible()
    screenshot("products-list")
    page.get_by_role("link", name="Partner logistics").click()
    page.get_by_role("link", name="Access control", exact=True).click()
    page.get_by_role("link", name="+ Add group").click()
    page.get_by_label("Search groups by name or description").fill("internal")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Internal teams").check()
    screenshot("product-add-groups")
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Internal teams can now see Partner logistics")).to_be_visible()
    screenshot("product-access")

    # A developer in that group sees it; one outside it doesn't, and its URL is a 404.
    assert "Partner logistics" in catalogue(dana, server_url)
    assert dana.goto(f"{server_url}/products/partner-logistics/").status == 200
    expect(dana.get_by_role("heading", name="Partner logistics")).to_be_visible()
    assert "Partner logistics" not in catalogue(bob, server_url)
    assert bob.goto(f"{server_url}/products/partner-logistics/").status == 404
    expect(bob.get_by_role("heading", name="Page not found")).to_be_visible()

    # Delete on the access row › confirm: the member no longer sees it.
    page.get_by_role("row").filter(has_text="Internal teams").get_by_role(
        "link", name="Delete"
    ).click()
    expect(
        page.get_by_text("Take Internal teams's access to Partner logistics away?")
    ).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(
        page.get_by_text("Internal teams no longer has access to Partner logistics")
    ).to_be_visible()
    assert "Partner logistics" not in catalogue(dana, server_url)
    assert dana.goto(f"{server_url}/products/partner-logistics/").status == 404


def test_guests_see_exactly_the_guests_products(page, server_url, demo, screenshot):
    assert catalogue(page, server_url) == ["Starter", "Weather open data"]
    screenshot("portal-catalogue-guest")
    assert page.goto(f"{server_url}/products/unlimited/").status == 404
    assert page.goto(f"{server_url}/products/internal-tools/").status == 404
    page.goto(server_url)
    expect(page.get_by_role("heading", name="Products for you")).to_be_visible()


def test_a_partner_sees_the_partner_catalogue(page, server_url, demo, sign_in, screenshot):
    sign_in("alice@example.com")
    assert catalogue(page, server_url) == [
        "Partner logistics",
        "Starter",
        "Unlimited",
        "Weather open data",
    ]
    screenshot("portal-catalogue-partner")
    page.get_by_role("link", name="Partner logistics").click()
    expect(page.get_by_text("A subscription is needed to call its APIs")).to_be_visible()
    expect(page.get_by_role("heading", name="Terms of use")).to_be_visible()
    screenshot("portal-product")


def test_create_publish_and_view_as(page, server_url, demo, sign_in, screenshot):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/products/")
    page.get_by_role("link", name="+ Add").click()
    expect(page.get_by_role("heading", name="Add a product")).to_be_visible()
    page.wait_for_load_state()
    page.get_by_label("Name").fill("Payments")
    expect(page.get_by_label("ID")).to_have_value("payments")
    page.get_by_label("Description").fill("Take card payments. **Sandbox** included.")
    page.get_by_label("Beta testers").check()
    screenshot("product-add")
    page.get_by_role("button", name="Create").click()
    expect(
        page.get_by_text("Created the product Payments. It is not published yet")
    ).to_be_visible()
    who = page.get_by_role("table", name="Groups that can see Payments")
    expect(who).to_contain_text("Administrators")
    expect(who).to_contain_text("Beta testers")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published Payments")).to_be_visible()
    screenshot("product-detail")

    # View as a group: the portal shows that group's catalogue under a banner.
    page.goto(f"{server_url}/console/groups/beta-testers/")
    page.get_by_role("button", name="View the portal as Beta testers").click()
    expect(
        page.get_by_text("You are viewing the portal as a member of Beta testers")
    ).to_be_visible()
    assert catalogue(page, server_url) == [
        "Insights (beta)",
        "Payments",
        "Starter",
        "Unlimited",
        "Weather open data",
    ]
    screenshot("portal-view-as")
    page.get_by_role("button", name="Stop preview").click()
    expect(page.get_by_text("Preview ended")).to_be_visible()
    assert "Internal tools" in catalogue(page, server_url)  # the administrator's own view


def test_user_page_explains_what_they_see(page, server_url, demo, sign_in, screenshot):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/users/")
    page.get_by_role("link", name="Alice Moreau").click()
    seen = page.get_by_role("table", name="Products alice@example.com sees")
    expect(seen.get_by_role("row").filter(has_text="Partner logistics")).to_contain_text(
        "via Partners"
    )
    expect(seen.get_by_role("row").filter(has_text="Starter")).to_contain_text("via Developers")
    screenshot("user-sees")
