"""The portal's search, used as a developer would: the top bar's box, by keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from content.models import Page
from groups.models import Group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def pages(demo):
    """A page for Partners and one for Beta testers, both about partners.

    The demo already has "Partner onboarding" for Partners: it is made sure of, not made twice
    (its address is unique)."""
    for title, slug, group in (
        ("Partner onboarding", "partner-onboarding", "partners"),
        ("Partner pricing for beta testers", "partner-beta", "beta-testers"),
    ):
        page, _ = Page.objects.update_or_create(
            slug=slug,
            defaults={
                "title": title,
                "body": "How a **partner** gets started:\n\n1. sign the contract\n2. subscribe",
                "visibility": Page.Visibility.GROUPS,
                "state": Page.State.PUBLISHED,
            },
        )
        page.links.get_or_create(group=Group.objects.get(name=group))


def tab_to(page, selector: str, most: int = 40) -> None:
    """Press Tab until the element is focused, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_developer_searches_from_the_top_bar_by_keyboard(
    page, server_url, pages, sign_in, screenshot
):
    sign_in("alice@example.com")  # in Partners
    page.get_by_role("button", name="Sign out").wait_for()
    tab_to(page, "#portal-search-q")
    page.keyboard.type("partner")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=partner")
    results = page.get_by_role("main")
    expect(results.get_by_role("heading", name="Products (1)")).to_be_visible()
    expect(results.get_by_role("link", name="Partner logistics")).to_be_visible()
    expect(results.get_by_role("link", name="Partner onboarding")).to_be_visible()
    expect(results.get_by_text("Partner pricing for beta testers")).to_have_count(0)
    expect(results.locator("mark").first).to_have_text("partner", ignore_case=True)
    screenshot("portal-search")
    # On to the product, by keyboard too.
    tab_to(page, "main a[href='/products/partner-logistics/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/products/partner-logistics/")


def test_on_a_phone_the_box_is_in_the_menu(page, server_url, pages, sign_in, screenshot):
    sign_in("bob@example.com")  # in Beta testers
    page.get_by_role("button", name="Sign out").first.wait_for(state="attached")
    page.set_viewport_size(PHONE)
    page.goto(f"{server_url}/")
    box = page.get_by_role("searchbox", name="Search the portal")
    expect(box).to_be_hidden()
    tab_to(page, ".navbar-toggler")
    page.keyboard.press("Enter")
    expect(box).to_be_visible()
    box.focus()
    page.keyboard.type("partner")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=partner")
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Partner pricing for beta testers")).to_be_visible()
    expect(main.get_by_text("Partner onboarding")).to_have_count(0)
    expect(main.get_by_text("Partner logistics")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("search-phone")
    page.locator(".navbar-toggler").click()
    expect(page.locator(".navbar-collapse.show:not(.collapsing)")).to_be_visible()
    expect(box).to_be_in_viewport()
    screenshot("portal-search-phone")


def test_a_guest_gets_a_clear_empty_state(page, server_url, pages, screenshot):
    page.goto(f"{server_url}/search/?q=partner")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Nothing matches “partner”")).to_be_visible()
    expect(main.get_by_role("link", name="Sign in")).to_be_visible()
    screenshot("search-empty-guest")


def test_an_over_long_search_says_so_by_the_box(page, server_url, pages, screenshot):
    page.goto(f"{server_url}/search/?q={'x' * 201}")
    box = page.get_by_role("searchbox", name="Search products, APIs and pages")
    expect(box).to_have_value("x" * 201)
    expect(box).to_have_accessible_description(
        "Your search is 201 characters long; a search can be up to 200. "
        "Shorten it to a few words and try again."
    )
    screenshot("search-too-long")
