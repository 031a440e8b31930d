"""The console's Pages tab, as an administrator uses it: add, publish, restrict, edit, restore."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from content.models import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_writes_restricts_and_restores_a_page(
    page, server_url, demo, sign_in, new_signed_in_page, screenshot
):
    # The demo has its own "Partner onboarding" page (and the migration a "welcome" one), so
    # this page takes an address of its own.
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/")
    menu = page.get_by_role("navigation", name="Console sections")
    main = page.locator("#main")
    menu.get_by_role("link", name="Pages").click()
    expect(page.get_by_role("heading", name="Pages", exact=True)).to_be_visible()
    screenshot("pages-list-empty")

    # + Add page: the address is proposed from the title as it is typed.
    page.get_by_role("link", name="+ Add page").first.click()
    page.get_by_label("Title").fill("Reseller onboarding")
    expect(page.get_by_label("Address")).to_have_value("reseller-onboarding")
    page.get_by_role("combobox", name="Menu").select_option(label="Top menu")
    page.get_by_label("Body").fill("# Welcome, resellers\n\nFirst *version* of the guide.")
    screenshot("pages-add")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Created the page Reseller onboarding.")).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome, resellers")).to_be_visible()

    # Publish.
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published Reseller onboarding")).to_be_visible()
    expect(page.get_by_role("button", name="Unpublish")).to_be_visible()

    # Settings › Who can see it: Chosen groups.
    main.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_label("Who can see it").select_option(label="Chosen groups")
    screenshot("pages-settings")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the settings of Reseller onboarding.")).to_be_visible()

    # Access: none chosen yet, so only administrators; + Add group › Partners › Select.
    main.get_by_role("link", name="Access", exact=True).click()
    expect(page.get_by_text("No group is chosen yet, so only administrators")).to_be_visible()
    page.get_by_role("link", name="+ Add group").click()
    page.get_by_label("Search groups by name or description").fill("partner")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Partners").check()
    screenshot("pages-add-group")
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Partners can now see Reseller onboarding.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Partners")).to_be_visible()
    screenshot("pages-access")

    # Alice (a partner) opens it; Bob (not one) gets 404.
    alice = new_signed_in_page("alice@example.com")
    assert alice.goto(f"{server_url}/pages/reseller-onboarding/").status == 200
    expect(alice.get_by_role("heading", name="Welcome, resellers")).to_be_visible()
    bob = new_signed_in_page("bob@example.com")
    assert bob.goto(f"{server_url}/pages/reseller-onboarding/").status == 404

    # Edit the body.
    main.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_label("Body").fill("# Welcome, resellers\n\nSecond draft, *rewritten*.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the settings of Reseller onboarding.")).to_be_visible()
    main.get_by_role("link", name="Overview", exact=True).click()
    expect(page.get_by_text("Second draft, rewritten.")).to_be_visible()

    # Versions › the first › Restore › confirm: the first text is back.
    main.get_by_role("link", name="Versions", exact=True).click()
    screenshot("pages-versions")
    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.get_by_text("First *version* of the guide.")).to_be_visible()
    page.get_by_role("link", name="Restore this version").click()
    expect(page.get_by_text("Restore version 1 of Reseller onboarding?")).to_be_visible()
    screenshot("pages-restore-confirm")
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Restored version 1 of Reseller onboarding")).to_be_visible()
    expect(page.get_by_text("First version of the guide.")).to_be_visible()
    expect(page.get_by_text("Second draft")).to_have_count(0)
    screenshot("pages-overview")
    alice.reload()
    expect(alice.get_by_text("First version of the guide.")).to_be_visible()

    # The list shows it published, in the top menu, for one chosen group.
    menu.get_by_role("link", name="Pages").click()
    row = page.get_by_role("row").filter(has_text="Reseller onboarding")
    expect(row).to_contain_text("Published")
    expect(row).to_contain_text("Top menu")
    expect(row).to_contain_text("(1 group)")
    screenshot("pages-list")
    saved = Page.objects.get(slug="reseller-onboarding")
    assert saved.versions.count() == 3


def test_a_taken_address_is_refused_beside_the_field(page, server_url, demo, sign_in, screenshot):
    Page.objects.create(title="Pricing", slug="pricing")
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/pages/new/")
    page.get_by_label("Title").fill("Pricing")
    page.get_by_label("Body").fill("Kept text")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Another page already has the address “pricing”.")).to_be_visible()
    expect(page.get_by_label("Body")).to_have_value("Kept text")
    screenshot("pages-add-duplicate")
