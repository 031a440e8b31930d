"""A 300-character name wraps in the console's tables instead of stretching them past the
screen, and the whole name is still there to read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups import services as group_services
from groups.models import Group
from products import services as product_services
from products.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# One unbroken word: the worst case, as nothing offers a place to wrap.
LONG_NAME = "Partners" + "x" * 292
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def long_named_group(demo):
    assert len(LONG_NAME) == 300
    return group_services.create_group(name="long-name", display_name=LONG_NAME)


def open_groups(page, server_url, sign_in, viewport):
    sign_in("admin@example.com")
    page.get_by_role("button", name="Sign out").wait_for()
    page.set_viewport_size(viewport)
    page.goto(f"{server_url}/console/groups/?q=Partnersxxx")
    # The whole name is still there, as the link's text.
    expect(page.get_by_role("link", name=LONG_NAME)).to_be_visible()


def test_a_300_character_group_name_keeps_the_groups_table_in_the_viewport(
    page, server_url, long_named_group, sign_in
):
    open_groups(page, server_url, sign_in, DESKTOP)
    box = page.locator("table").first.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= DESKTOP["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]


def test_on_a_phone_the_long_name_wraps_and_the_page_does_not_scroll_sideways(
    page, server_url, long_named_group, sign_in
):
    open_groups(page, server_url, sign_in, PHONE)
    # The table scrolls in its own box on a phone (its headings alone are wider than
    # the screen); the name's cell wraps within the screen, and the page stays put.
    name_cell = page.locator("tbody th[scope=row]").first.bounding_box()
    assert name_cell is not None
    assert name_cell["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# Headings and breadcrumbs: the name of what a page is about, as long as it gets.
HEADINGS = "h1, h2, h3, h4, h5, h6, .breadcrumb, .breadcrumb-item"


@pytest.fixture
def long_named_things(long_named_group, make_api):
    """A product and an API with 300-character unbroken names, which Partners see."""
    product = product_services.create_product(
        name="long-product",
        display_name="Product" + "y" * 293,
        state=Product.State.PUBLISHED,
        groups=[Group.objects.get(name="partners"), long_named_group],
    )
    make_api("Api" + "z" * 297, products=[product], name="long-api", path="long/v1")
    return product


def assert_headings_fit(page, viewport, url):
    page.set_viewport_size(viewport)
    response = page.goto(url)
    assert response is not None and response.ok, url
    widest = page.evaluate(
        """(selector) => Math.max(...Array.from(document.querySelectorAll(selector),
            (element) => element.getBoundingClientRect().right))""",
        HEADINGS,
    )
    assert widest <= viewport["width"], f"a heading of {url} reaches {widest}px"
    # What sticks out, innermost first, to say where a failure comes from.
    beyond = page.evaluate(
        """(width) => {
            const found = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const range = document.createRange();
                range.selectNodeContents(walker.currentNode);
                if (range.getBoundingClientRect().right > width + 1) {
                    const element = walker.currentNode.parentElement;
                    found.push(`${element.tagName}.${element.className}: `
                        + walker.currentNode.textContent.trim().slice(0, 30));
                }
            }
            return found;
        }""",
        viewport["width"],
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (
        url,
        beyond,
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_long_names_wrap_in_every_heading(
    page, server_url, long_named_things, sign_in, viewport, screenshot
):
    sign_in("admin@example.com")
    page.get_by_role("button", name="Sign out").wait_for()
    for url in (
        "/console/groups/long-name/",
        "/console/products/long-product/",
        "/console/apis/long-api/",
        "/products/long-product/",
        "/apis/long-api/",
        "/search/?q=Productyyy",
    ):
        assert_headings_fit(page, viewport, f"{server_url}{url}")
        where = "-".join(part for part in url.split("?")[0].split("/") if part)
        screenshot(f"long-name-{where}-{viewport['width']}")
