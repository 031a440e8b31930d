"""The seed document's group steps, by the words on the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import Group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_edit_add_member_and_delete_a_group(page, server_url, demo, sign_in, screenshot):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/")
    menu = page.get_by_role("navigation", name="Console sections")

    # Groups › + Add › Custom group › name and description › Create
    menu.get_by_role("link", name="Groups").click()
    expect(page.get_by_role("heading", name="Groups", exact=True)).to_be_visible()
    screenshot("groups-list")
    page.get_by_role("button", name="+ Add").click()
    page.get_by_role("link", name="Custom group").click()
    expect(page.get_by_role("heading", name="Add a group")).to_be_visible()
    page.wait_for_load_state()
    page.get_by_label("Name").fill("Contoso Partners")
    expect(page.get_by_label("ID")).to_have_value("contoso-partners")
    page.get_by_label("Description").fill("Developers at Contoso, our logistics partner.")
    screenshot("group-add")
    page.get_by_role("button", name="Create").click()

    # The group is in the Groups list, and a message says so.
    expect(page.get_by_text("Created the group Contoso Partners")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Contoso Partners")
    expect(row).to_contain_text("Custom")
    expect(row).to_contain_text("0")

    # Click its name › Settings › edit › saved
    page.get_by_role("link", name="Contoso Partners").click()
    expect(page.get_by_role("heading", name="Contoso Partners")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Settings").click()
    expect(page.get_by_label("ID")).to_have_attribute("readonly", "")
    page.get_by_label("Description").fill(
        "Developers at Contoso Logistics, under the 2027 contract."
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the settings of Contoso Partners")).to_be_visible()
    screenshot("group-settings")

    # Members › + Add › pick a developer › Select
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_text("No members yet")).to_be_visible()
    page.get_by_role("link", name="+ Add").click()
    page.get_by_label("Search developers by name or email").fill("bob")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Bob Okafor").check()
    screenshot("group-add-members")
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Added 1 member to Contoso Partners")).to_be_visible()
    expect(page.get_by_role("cell", name="bob@example.com", exact=True)).to_be_visible()
    screenshot("group-members")

    # Once the association is added, it shows in the Users tab.
    menu.get_by_role("link", name="Users").click()
    bob = page.get_by_role("row").filter(has_text="bob@example.com")
    expect(bob).to_contain_text("Contoso Partners")
    screenshot("users-list")

    # Delete › confirm › gone
    menu.get_by_role("link", name="Groups").click()
    page.get_by_role("link", name="Contoso Partners").click()
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_text("1 person is no longer in this group")).to_be_visible()
    screenshot("group-delete")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted the group Contoso Partners")).to_be_visible()
    expect(page.get_by_role("link", name="Contoso Partners")).to_have_count(0)
    assert not Group.objects.filter(name="contoso-partners").exists()


def test_system_groups_offer_no_delete_and_no_add(page, server_url, demo, sign_in):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/")
    row = page.get_by_role("row").filter(has_text="All signed-in developers")
    expect(row).to_contain_text("Built-in")
    row.get_by_role("link", name="Developers").click()
    expect(page.get_by_role("link", name="Delete")).to_have_count(0)
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_text("Membership of Developers is worked out by Portico")).to_be_visible()
    expect(page.get_by_role("link", name="+ Add")).to_have_count(0)


def test_settings_refuses_to_overwrite_a_concurrent_change(page, server_url, demo, sign_in):
    from groups import services

    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/partners/settings/")
    page.get_by_label("Description").fill("My description")
    other = Group.objects.get(name="partners")
    services.update_group(
        group=other, expected_version=other.version, description="Theirs, saved first"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Someone else saved this group while you were editing")).to_be_visible()
    expect(page.get_by_text("Theirs, saved first")).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("My description")
    assert Group.objects.get(name="partners").description == "Theirs, saved first"
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the settings of Partners")).to_be_visible()
    assert Group.objects.get(name="partners").description == "My description"


def test_add_a_developer_in_the_users_tab_and_put_them_in_a_group(
    page, server_url, demo, sign_in, screenshot
):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/users/")
    page.get_by_role("button", name="+ Add").click()
    page.get_by_role("link", name="Add with a password").click()
    expect(page.get_by_role("heading", name="Add a developer")).to_be_visible()
    page.get_by_label("Email address").fill("grace@example.com")
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Must set a password at first sign-in").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Created the developer account grace@example.com")).to_be_visible()
    page.get_by_role("link", name="+ Add to groups").click()
    page.get_by_label("Partners").check()
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Added Grace Hopper to Partners")).to_be_visible()
    groups = page.get_by_role("table", name="Groups grace@example.com is in")
    expect(groups).to_contain_text("Developers")
    expect(groups).to_contain_text("Partners")
    screenshot("user-detail")
    page.get_by_role("link", name="Block").click()
    expect(page.get_by_role("heading", name="Block grace@example.com?")).to_be_visible()
    page.get_by_role("button", name="Block").click()
    expect(page.get_by_text("Blocked grace@example.com")).to_be_visible()
    expect(page.get_by_role("button", name="Unblock")).to_be_visible()
