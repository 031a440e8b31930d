"""The activity record as an administrator meets it: two changes made by clicking,
seen in the groups' History, in Activity filtered, and in what Bob could see
yesterday against what he can see now."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REAL_NOW = timezone.now


@pytest.fixture
def demo_two_days_ago(transactional_db: None, monkeypatch: Any) -> None:
    """The demo, recorded as made two days ago: yesterday holds its state."""
    earlier = SimpleNamespace(now=lambda: REAL_NOW() - datetime.timedelta(days=2))
    monkeypatch.setattr("audit.services.timezone", earlier)
    call_command("seed_demo", password=DEMO_PASSWORD, verbosity=0)
    monkeypatch.undo()


def test_two_changes_show_in_history_activity_and_access_as_of(
    page, server_url, demo_two_days_ago, sign_in, screenshot
):
    sign_in("admin@example.com")
    main = page.locator("#main")
    menu = page.get_by_role("navigation", name="Console sections")

    # Groups › Partners › Members › + Add › Bob › Select
    menu.get_by_role("link", name="Groups").click()
    main.get_by_role("link", name="Partners", exact=True).click()
    page.get_by_role("link", name="Members").click()
    page.get_by_role("link", name="+ Add").click()
    page.get_by_label("Search developers by name or email").fill("bob")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Bob Okafor").check()
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Added 1 member to Partners")).to_be_visible()

    # Products › Insights (beta) › Access control › Delete on Beta testers › Delete
    menu.get_by_role("link", name="Products").click()
    main.get_by_role("link", name="Insights (beta)").click()
    page.get_by_role("link", name="Access control", exact=True).click()
    main.get_by_role("row").filter(has_text="Beta testers").get_by_role(
        "link", name="Delete"
    ).click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Beta testers no longer has access to Insights (beta)")).to_be_visible()

    # Partners' page: its History has Bob's joining, by the administrator, today.
    menu.get_by_role("link", name="Groups").click()
    main.get_by_role("link", name="Partners", exact=True).click()
    history = page.get_by_role("region", name="History")
    added = history.get_by_role("row").filter(has_text="Added a member")
    expect(added.first).to_contain_text("bob@example.com")
    expect(added.first).to_contain_text("admin@example.com")
    expect(added.first).to_contain_text(timezone.now().strftime("%-d %b %Y"))
    screenshot("group-history")

    # Beta testers' History: the access taken away.
    menu.get_by_role("link", name="Groups").click()
    main.get_by_role("link", name="Beta testers", exact=True).click()
    taken = history.get_by_role("row").filter(has_text="Took a group's access away")
    expect(taken).to_have_count(1)
    expect(taken).to_contain_text("Insights (beta)")

    # Activity, filtered to the administrator's changes today: exactly these two.
    menu.get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", name="Activity", exact=True)).to_be_visible()
    page.get_by_label("Who").fill("admin@example.com")
    today = timezone.now().date().isoformat()
    page.get_by_label("From").fill(today)
    page.get_by_role("button", name="Filter").click()
    rows = main.get_by_role("row").filter(has_text="admin@example.com")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Added a member")).to_contain_text("Partners")
    expect(rows.filter(has_text="Took a group's access away")).to_contain_text("Beta testers")
    screenshot("activity-filtered")
    # Narrowed to one action, one row.
    page.get_by_label("Action").select_option(label="Added a member")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("bob@example.com")

    # Users › Bob › Access as of a date: yesterday against now.
    menu.get_by_role("link", name="Users").click()
    main.get_by_role("row").filter(has_text="bob@example.com").get_by_role("link").first.click()
    page.get_by_role("link", name="Access as of a date").click()
    yesterday = (timezone.now() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("As of", exact=True).fill(yesterday)
    page.get_by_label("Compare with").fill(timezone.now().strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Show").click()
    then = page.get_by_role("region", name="As of")
    expect(then).to_contain_text("Insights (beta)")
    expect(then).not_to_contain_text("Partner logistics")
    changes = page.get_by_role("region", name="Changes between")
    expect(changes).to_be_visible()

    def changed(kind: str) -> Any:
        return changes.locator(f"xpath=.//dt[normalize-space()='{kind}']/following-sibling::dd[1]")

    # Exactly the two changes: a product gained and one lost, a group gained.
    expect(changed("products").locator("li")).to_have_text(
        ["Gained Partner logistics", "Lost Insights (beta)"]
    )
    expect(changed("groups").locator("li")).to_have_text(["Gained Partners"])
    expect(changed("active subscriptions")).to_have_text("No change")
    screenshot("user-access-as-of")
