"""The portal and the console with the keyboard alone: Tab, Enter, Space and the arrow keys.

Each step presses keys until the control wanted has the focus (failing, with the controls passed
on the way, if it never does); nothing is clicked and no field is filled by script.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from subscriptions.models import Subscription

from .conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What has the focus: its name as a person hears it, where it is, and whether it shows.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const labelled = el.labels && el.labels.length ? el.labels[0].innerText : "";
  const name = el.getAttribute("aria-label") || labelled || el.innerText || el.value || "";
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    name: name.trim().replace(/\\s+/g, " "),
    tag: el.tagName.toLowerCase(),
    region: el.closest("main") ? "main" : el.closest("#console-menu") ? "menu"
      : el.closest("header") ? "header" : "other",
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    shadow: style.boxShadow !== "none",
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
  };
}"""


def focused(page: Any) -> dict[str, Any] | None:
    return page.evaluate(FOCUSED)


def tab_to(page: Any, name: str, *, region: str | None = None, limit: int = 60) -> dict[str, Any]:
    """Press Tab until the control called `name` (in `region`, if given) has the focus.

    A field that has the focus already (autofocus) needs no Tab. A required field's
    label ends with an asterisk, which the name leaves out.
    """

    def wanted(now: dict[str, Any] | None) -> bool:
        return bool(now) and now["name"].rstrip("*") == name and region in (None, now["region"])

    now = focused(page)
    if wanted(now):
        return now
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
        passed.append(now and f"{now['name']} ({now['region']})")
    raise AssertionError(f"Tab never reached {name!r}; it went through {passed}")


def assert_focus_shows(now: dict[str, Any]) -> None:
    """An outline; in a page's body, Bootstrap's glow around a field or a button will do."""
    assert now["onScreen"], f"{now['name']} has the focus off screen"
    shows = now["outline"] or (now["region"] == "main" and now["shadow"])
    assert shows, f"{now['name']} shows no focus indicator: {now}"


def assert_skip_link_first(page: Any) -> None:
    page.keyboard.press("Tab")
    now = focused(page)
    assert now and now["name"] == "Skip to main content", now
    assert_focus_shows(now)
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    after = focused(page)
    assert after and after["region"] == "main", f"after skipping, Tab went to {after}"


def test_a_developer_signs_in_and_subscribes_with_the_keyboard(page, server_url, demo, screenshot):
    page.goto(f"{server_url}/")
    assert_skip_link_first(page)

    # The top bar: each link takes the focus, and shows it.
    page.goto(f"{server_url}/")
    for name in ("Products", "APIs", "Sign in"):
        now = tab_to(page, name, region="header")
        assert_focus_shows(now)
        if name == "Products":
            screenshot("keyboard-portal-topbar-focus")
    page.keyboard.press("Enter")

    # Sign in.
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    tab_to(page, "Email", region="main")
    page.keyboard.type("bob@example.com")
    tab_to(page, "Password", region="main")
    page.keyboard.type(DEMO_PASSWORD)
    assert_focus_shows(tab_to(page, "Sign in", region="main"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    for name in ("Groups", "Profile", "Sign out"):
        assert_focus_shows(tab_to(page, name, region="header"))

    # Products › Starter › name, accept the terms, Subscribe.
    tab_to(page, "Products", region="header")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Products", level=1)).to_be_visible()
    tab_to(page, "Starter", region="main")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Starter", level=1)).to_be_visible()
    tab_to(page, "Subscription name", region="main")
    page.keyboard.type("Bob's keyboard app")
    terms = tab_to(page, "I accept the terms of use", region="main")
    assert_focus_shows(terms)
    page.keyboard.press("Space")
    expect(page.get_by_label("I accept the terms of use")).to_be_checked()
    screenshot("keyboard-portal-subscribe")
    assert_focus_shows(tab_to(page, "Subscribe", region="main"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Subscribed to Starter")).to_be_visible()
    assert Subscription.objects.filter(
        owner__email="bob@example.com", display_name="Bob's keyboard app"
    ).exists()


def test_an_administrator_adds_a_group_and_a_member_with_the_keyboard(
    page, server_url, demo, sign_in, screenshot
):
    sign_in("admin@example.com")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{server_url}/console/")
    assert_skip_link_first(page)

    # The console's top bar and menu: every link takes the focus, and shows it.
    page.goto(f"{server_url}/console/")
    for name in ("Developer portal", "Sign out"):
        assert_focus_shows(tab_to(page, name, region="header"))
    menu = page.locator("#console-menu a:visible").all_inner_texts()
    sections = [" ".join(text.split()) for text in menu]
    assert {"Groups", "Products", "APIs", "Users", "Jobs", "Settings"} <= set(sections), sections
    for name in sections:
        now = tab_to(page, name, region="menu")
        assert_focus_shows(now)
        if name == "Groups":
            screenshot("keyboard-console-menu-focus")

    # Groups › + Add › Custom group › a name › Create.
    page.goto(f"{server_url}/console/")
    tab_to(page, "Groups", region="menu")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Groups", exact=True)).to_be_visible()
    assert_focus_shows(tab_to(page, "+ Add", region="main"))
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    now = focused(page)
    assert now and now["name"] == "Custom group", now
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add a group")).to_be_visible()
    page.wait_for_load_state()
    tab_to(page, "Name", region="main")
    page.keyboard.type("Keyboard Crew")
    expect(page.get_by_label("ID")).to_have_value("keyboard-crew")
    assert_focus_shows(tab_to(page, "Create", region="main"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Created the group Keyboard Crew")).to_be_visible()

    # Its page › Members › + Add › tick Bob with Space › Select with Enter.
    tab_to(page, "Keyboard Crew", region="main")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard Crew")).to_be_visible()
    tab_to(page, "Members", region="main")
    page.keyboard.press("Enter")
    expect(page.get_by_text("No members yet")).to_be_visible()
    tab_to(page, "+ Add", region="main")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Search developers by name or email")).to_be_visible()
    page.wait_for_load_state()
    tab_to(page, "Search developers by name or email", region="main")
    page.keyboard.type("bob")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Bob Okafor")).to_be_visible()
    assert_focus_shows(tab_to(page, "Bob Okafor", region="main"))
    page.keyboard.press("Space")
    expect(page.get_by_label("Bob Okafor")).to_be_checked()
    screenshot("keyboard-console-picker")
    tab_to(page, "Select", region="main")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Added 1 member to Keyboard Crew")).to_be_visible()
