"""An external group, from + Add to the first member its directory gives it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups import services
from groups.models import Group
from portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DIRECTORY_GROUP = "aad://contoso.onmicrosoft.com/groups/6f1c2b9e-aaaa-bbbb-cccc-1234567890ab"


def catalogue(page, server_url):
    page.goto(f"{server_url}/products/")
    expect(page.get_by_role("heading", name="Products", exact=True)).to_be_visible()
    return sorted(page.locator(".product-card h2").all_inner_texts())


def test_an_external_group_gets_its_members_from_the_directory(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot
):
    dana = new_signed_in_page("dana@example.com")  # not in Partners
    assert "Partner logistics" not in catalogue(dana, server_url)

    # Groups › + Add › External group › name, external ID › Create
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/")
    page.get_by_role("button", name="+ Add").click()
    page.get_by_role("link", name="External group").click()
    expect(page.get_by_role("heading", name="Add an external group")).to_be_visible()
    page.wait_for_load_state()
    page.get_by_label("Name").fill("Logistics directory")
    expect(page.get_by_label("ID", exact=True)).to_have_value("logistics-directory")
    page.get_by_label("External ID").fill(DIRECTORY_GROUP)
    page.get_by_label("Description").fill("Everyone in Entra ID's Logistics group.")
    screenshot("external-group-add")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Created the external group Logistics directory")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Logistics directory")
    expect(row).to_contain_text("External")
    expect(row).to_contain_text(DIRECTORY_GROUP)
    assert Group.objects.get(name="logistics-directory").type == Group.Type.EXTERNAL

    # Products › Partner logistics › Access control › + Add group › the external group
    page.goto(f"{server_url}/console/products/partner-logistics/")
    page.get_by_role("link", name="Access control", exact=True).click()
    page.get_by_role("link", name="+ Add group").click()
    page.get_by_label("Search groups by name or description").fill("directory")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Logistics directory").check()
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Logistics directory can now see Partner logistics")).to_be_visible()

    # Dana signs in with the identity provider, whose groups claim names the group's id.
    person = User.objects.get(email="dana@example.com")
    services.sync_directory_groups(
        user=person, references=["6F1C2B9E-AAAA-BBBB-CCCC-1234567890AB"], via="sign-in"
    )
    assert "Partner logistics" in catalogue(dana, server_url)

    # The Members tab says where members come from, and offers no + Add or Remove.
    page.goto(f"{server_url}/console/groups/logistics-directory/")
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_text("Members come from the directory")).to_be_visible()
    member = page.get_by_role("row").filter(has_text="dana@example.com")
    expect(member).to_contain_text("via sign-in on")
    expect(page.get_by_role("link", name="+ Add")).to_have_count(0)
    expect(member.get_by_role("link", name="Remove")).to_have_count(0)
    screenshot("external-group-members")

    # Dana's page: the membership comes from the directory, and names the directory group.
    member.get_by_role("link", name="Dana Kowalski").click()
    groups = page.get_by_role("row").filter(has_text="Logistics directory").first
    expect(groups).to_contain_text("From the directory, via sign-in on")
    seen = page.get_by_role("row").filter(has_text="Partner logistics")
    expect(seen).to_contain_text(f"via Logistics directory (directory group {DIRECTORY_GROUP})")
    screenshot("external-group-user")

    # The directory drops her: the product goes at her next request.
    services.sync_directory_groups(user=person, references=[], via="sign-in")
    assert "Partner logistics" not in catalogue(dana, server_url)
