"""A 300-character name wraps in the console's tables instead of stretching them past the
screen, and the whole name is still there to read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups import services as group_services

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
