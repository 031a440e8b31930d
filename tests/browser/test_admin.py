"""Support staff answer "why can't they see it?" in the Django admin."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_support_staff_see_a_users_groups_and_a_groups_members(page, server_url, demo, screenshot):
    page.goto(f"{server_url}/admin/")
    page.get_by_label("Email").fill("support@example.com")
    page.get_by_label("Password").fill("demo-browser-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="alice@example.com").click()

    groups = page.get_by_role("region", name="Groups")
    expect(groups.get_by_role("link", name="Partners")).to_be_visible()
    expect(groups.get_by_role("link", name="Developers")).to_be_visible()
    # Nothing that would end in a refusal: the console and setting passwords
    # are for administrators.
    expect(page.get_by_role("link", name="View on site")).to_have_count(0)
    expect(page.get_by_role("button", name="Reset password")).to_have_count(0)
    screenshot("admin-support-user")

    groups.get_by_role("link", name="Partners").click()
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("link", name="alice@example.com")).to_be_visible()
    expect(members.get_by_role("link", name="chen@example.com")).to_be_visible()
    screenshot("admin-support-group")

    page.goto(f"{server_url}/admin/groups/group/")
    page.get_by_role("link", name="Developers").click()
    expect(page.get_by_role("region", name="Members")).to_contain_text("Built-in")
    screenshot("admin-support-system-group")
