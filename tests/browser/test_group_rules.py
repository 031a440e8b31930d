"""An administrator adds rules to a group in its Rules tab: an email domain, applied to existing
accounts after a preview, and an identity provider claim."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_a_domain_rule_and_a_claim_rule(
    page, server_url, demo, sign_in, screenshot
):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/beta-testers/")
    page.get_by_role("link", name="Rules").click()
    page.get_by_role("link", name="+ Add rule").click()
    page.get_by_label("Email domain, or the claim's value").fill("example.com")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("Added the rule: email domain example.com")).to_be_visible()

    # The preview lists who would join; applying adds exactly them.
    page.get_by_role("link", name="Apply to existing accounts").click()
    expect(page.get_by_text("alice@example.com")).to_be_visible()
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("to Beta testers by the rule email domain example.com")).to_be_visible()
    assert Membership.objects.filter(
        group__name="beta-testers", added_by_rule__isnull=False
    ).exists()

    page.get_by_role("link", name="Rules").click()
    page.get_by_role("link", name="+ Add rule").click()
    page.get_by_label("the identity provider says so in a claim").check()
    page.get_by_label("Email domain, or the claim's value").fill("Logistics")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("Enter the claim's name, such as department.")).to_be_visible()
    page.get_by_label("Claim name (claim rules only)").fill("department")
    screenshot("group-rule-claim")
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_text("It applies at each person's first sign-in")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Identity provider claim")
    expect(row).to_contain_text("department")
    expect(row.get_by_role("link", name="Apply to existing accounts")).to_have_count(0)
