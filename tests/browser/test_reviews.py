"""An access review, as an administrator runs one: start it from a group's Members tab,
decide each member, close it, and the removed person is gone from the group."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .test_accessibility import run_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # axe-core, checking each page of the review, is injected as an inline script.
    return {**browser_context_args, "bypass_csp": True}


def assert_accessible(page: Any) -> None:
    violations = run_axe(page)
    assert violations == [], [(v["id"], [n["html"] for n in v["nodes"]]) for v in violations]


def test_an_administrator_reviews_a_groups_members(page, server_url, demo, sign_in, screenshot):
    # The demo's Partners are Alice and Chen.
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/partners/members/")
    main = page.locator("#main")
    expect(main.get_by_role("row").filter(has_text="chen@example.com")).to_be_visible()

    # Start access review › Start review: the review holds the two members.
    main.get_by_role("link", name="Start access review").click()
    expect(page.get_by_text("lists the 2 members Partners has now")).to_be_visible()
    screenshot("review-start")
    assert_accessible(page)
    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text("Started a review of Partners with 2 members.")).to_be_visible()
    expect(page.get_by_text("Anyone added since is not in it.")).to_be_visible()
    expect(page.get_by_text("0 of 2 decided")).to_be_visible()

    # Alice: Keep. Chen: Remove, with a comment.
    main.get_by_role("button", name="Keep alice@example.com").click()
    expect(page.get_by_text("Marked 1 member Keep.")).to_be_visible()
    page.get_by_label("Comment (optional)").fill("Left the partner programme")
    main.get_by_role("button", name="Remove chen@example.com").click()
    expect(page.get_by_text("The removal applies when the review is closed.")).to_be_visible()
    expect(page.get_by_text("2 of 2 decided")).to_be_visible()
    chen = main.get_by_role("row").filter(has_text="chen@example.com")
    expect(chen).to_contain_text("Left the partner programme")
    expect(chen).to_contain_text("admin@example.com")
    screenshot("review-decided")
    assert_accessible(page)

    # Close review › confirm: Chen is removed, Alice kept.
    main.get_by_role("link", name="Close review").click()
    expect(page.get_by_text("Marked Remove: 1 member.")).to_be_visible()
    screenshot("review-close")
    assert_accessible(page)
    page.get_by_role("button", name="Close review").click()
    expect(page.get_by_text("Closed the review of Partners: 1 removed, 1 kept.")).to_be_visible()
    expect(main.get_by_role("row").filter(has_text="chen@example.com")).to_contain_text("Removed")
    expect(main.get_by_role("button", name="Keep alice@example.com")).to_have_count(0)
    screenshot("review-closed")
    assert_accessible(page)

    # The Members tab: Chen is gone, Alice stays.
    page.goto(f"{server_url}/console/groups/partners/members/")
    expect(main.get_by_role("row").filter(has_text="alice@example.com")).to_be_visible()
    expect(main.get_by_text("chen@example.com")).to_have_count(0)

    # The Reviews tab lists it, closed.
    page.get_by_role("navigation", name="Console sections").get_by_role(
        "link", name="Reviews"
    ).click()
    row = main.get_by_role("row").filter(has_text="Partners")
    expect(row).to_contain_text("Closed")
    expect(row).to_contain_text("2 of 2 decided")
    screenshot("reviews-list")
    assert_accessible(page)
