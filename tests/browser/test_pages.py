"""Issue 16's must-show: a page only Partners see is in Alice's menu and opens; Bob
gets the 404 of a missing page and no entry; View as shows the same."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from content import services
from content.models import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARTNER_PAGE = "/pages/partner-onboarding/"


def top_menu(page):
    return page.get_by_role("navigation", name="Developer portal")


def test_partners_page_is_alices_not_bobs_and_view_as_agrees(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot
):
    # Alice, in Partners: the entry is in her top menu, and it opens.
    alice = new_signed_in_page("alice@example.com")
    alice.goto(f"{server_url}/")
    expect(top_menu(alice).get_by_role("link", name="Getting started")).to_be_visible()
    top_menu(alice).get_by_role("link", name="Partner onboarding").click()
    expect(alice.get_by_role("heading", name="Partner onboarding", level=1)).to_be_visible()
    expect(top_menu(alice).get_by_role("link", name="Partner onboarding")).to_have_attribute(
        "aria-current", "page"
    )
    expect(
        alice.get_by_role("contentinfo").get_by_role("link", name="Terms of use")
    ).to_be_visible()
    screenshot("pages-partner-alice", of=alice)

    # Bob, not in Partners: no entry, and the address is a missing page's 404.
    bob = new_signed_in_page("bob@example.com")
    bob.goto(f"{server_url}/")
    expect(top_menu(bob).get_by_role("link", name="Getting started")).to_be_visible()
    expect(top_menu(bob).get_by_role("link", name="Partner onboarding")).to_have_count(0)
    response = bob.goto(f"{server_url}{PARTNER_PAGE}")
    assert response.status == 404
    expect(bob.get_by_role("heading", name="Page not found")).to_be_visible()
    hidden = bob.locator("main").inner_text()
    assert bob.goto(f"{server_url}/pages/no-such-page/").status == 404
    assert bob.locator("main").inner_text() == hidden
    screenshot("pages-partner-bob-404", of=bob)

    # The administrator viewing the portal as Bob sees what Bob sees.
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/users/?q=bob")
    page.get_by_role("link", name="Bob Okafor").click()
    page.get_by_role("button", name="View the portal as this user").click()
    expect(page.get_by_text("You are viewing the portal as Bob Okafor")).to_be_visible()
    page.goto(f"{server_url}/")
    expect(top_menu(page).get_by_role("link", name="Getting started")).to_be_visible()
    expect(top_menu(page).get_by_role("link", name="Partner onboarding")).to_have_count(0)
    assert page.goto(f"{server_url}{PARTNER_PAGE}").status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    screenshot("pages-view-as-bob-404")
    page.get_by_role("button", name="Stop preview").click()

    # ... and as Alice, what Alice sees.
    page.goto(f"{server_url}/console/users/?q=alice")
    page.get_by_role("link", name="Alice Moreau").click()
    page.get_by_role("button", name="View the portal as this user").click()
    expect(page.get_by_text("You are viewing the portal as Alice Moreau")).to_be_visible()
    page.goto(f"{server_url}/")
    top_menu(page).get_by_role("link", name="Partner onboarding").click()
    expect(page.get_by_role("heading", name="Partner onboarding", level=1)).to_be_visible()
    screenshot("pages-view-as-alice")


def test_landing_page_and_footer(page, server_url, demo, screenshot):
    # The migrated Welcome is gone once a browser test's database was
    # emptied; a landing page of the test's own stands in for it.
    services.create_page(
        title="Build with our APIs",
        slug="home",
        body="Browse the products open to you.\n\n- **Find a product.** Each bundles APIs."
        "\n- **Subscribe.** Get your keys.\n\nSee [Getting started](/pages/getting-started/).",
        state=Page.State.PUBLISHED,
        is_landing=True,
    )
    page.goto(f"{server_url}/")
    expect(page.get_by_role("heading", name="Build with our APIs", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Products for you")).to_be_visible()
    screenshot("pages-landing")
    expect(top_menu(page).get_by_role("link", name="Partner onboarding")).to_have_count(0)
    page.get_by_role("contentinfo").get_by_role("link", name="Terms of use").click()
    expect(page.get_by_role("heading", name="Terms of use", level=1)).to_be_visible()
    screenshot("pages-guest-terms")
