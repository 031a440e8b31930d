"""The console's shared pages, by the words on the screen: the picker keeps what
was ticked across pages and searches, destructive actions ask first, and a
phone reaches every action."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from groups.models import Group
from portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def small_pages(settings):
    """Five rows a page, so that a picker of the demo's accounts has several pages."""
    settings.PORTICO_PAGE_SIZE = 5


def members_of(name):
    return set(User.objects.filter(memberships__group__name=name).values_list("email", flat=True))


def test_picker_keeps_ticks_across_pages(page, server_url, demo, small_pages, sign_in, screenshot):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/internal/members/add/")
    expect(page.get_by_role("heading", name="Add members to Internal teams")).to_be_visible()

    # Page 1: two people.
    page.get_by_label("Alice Moreau").check()
    page.get_by_label("Bob Okafor").check()
    expect(page.get_by_text("2 selected")).to_be_visible()

    # Page 2: one more; the first two are still counted.
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_text("Page 2 of")).to_be_visible()
    page.get_by_label("Farah Haddad").check()
    expect(page.get_by_text("3 selected")).to_be_visible()
    screenshot("picker-across-pages")

    # Back to page 1: the ticks are still there.
    page.get_by_role("link", name="Previous").click()
    expect(page.get_by_label("Alice Moreau")).to_be_checked()
    expect(page.get_by_label("Bob Okafor")).to_be_checked()

    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Added 3 members to Internal teams.")).to_be_visible()
    assert members_of("internal") == {
        "alice@example.com",
        "bob@example.com",
        "dana@example.com",
        "farah@example.com",
    }


def test_picker_keeps_ticks_across_searches(page, server_url, demo, sign_in):
    sign_in("admin@example.com")
    before = set(
        Group.objects.filter(product_links__product__name="internal-tools").values_list(
            "name", flat=True
        )
    )
    assert not before & {"partners", "beta-testers"}
    page.goto(f"{server_url}/console/products/internal-tools/access/add/")
    search = page.get_by_label("Search groups by name or description")
    search.fill("partner")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Partners").check()
    search.fill("beta")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("Beta testers").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Beta testers, Partners can now see Internal tools")).to_be_visible()
    granted = set(
        Group.objects.filter(product_links__product__name="internal-tools").values_list(
            "name", flat=True
        )
    )
    assert granted == before | {"partners", "beta-testers"}


def test_picker_forgets_ticks_when_opened_afresh(page, server_url, demo, sign_in):
    sign_in("admin@example.com")
    url = f"{server_url}/console/groups/internal/members/add/"
    page.goto(url)
    page.get_by_label("Alice Moreau").check()
    page.get_by_role("link", name="Cancel").click()
    page.goto(url)
    expect(page.get_by_label("Alice Moreau")).not_to_be_checked()
    page.get_by_role("button", name="Select").click()
    expect(page.get_by_text("Choose at least one person, then press Select.")).to_be_visible()
    assert members_of("internal") == {"dana@example.com"}


def test_removing_a_member_asks_first(page, server_url, demo, sign_in, screenshot):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/partners/members/")
    page.get_by_role("link", name="Remove alice@example.com").click()
    expect(page.get_by_role("heading", name="Remove Alice Moreau from Partners?")).to_be_visible()
    screenshot("confirm-remove-member")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("cell", name="alice@example.com", exact=True)).to_be_visible()
    page.get_by_role("link", name="Remove alice@example.com").click()
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Removed Alice Moreau from Partners.")).to_be_visible()
    assert members_of("partners") == {"chen@example.com"}


def test_cancelling_a_subscription_in_the_console_asks_first(page, server_url, demo, sign_in):
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/subscriptions/?q=alice")
    page.get_by_role("row").filter(has_text="Starter").get_by_role("link").first.click()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Cancel “")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("is now cancelled")).to_be_visible()


def assert_reachable(page, locator):
    """Every matching control can be brought on screen and lies within the phone's width."""
    for index in range(locator.count()):
        control = locator.nth(index)
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box is not None, control
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (
            control.inner_text(),
            box,
        )


@pytest.mark.parametrize(
    "path",
    [
        "/console/groups/",
        "/console/groups/partners/members/",
        "/console/products/starter/access/",
        "/console/subscriptions/",
        "/console/users/",
        "/console/users/{alice}/",
        "/console/products/starter/",
    ],
)
def test_console_on_a_phone_reaches_every_action(browser, server_url, demo, path, screenshot):
    context = browser.new_context(viewport=PHONE)
    phone = context.new_page()
    phone.goto(f"{server_url}/signin/")
    phone.get_by_label("Email").fill("admin@example.com")
    phone.get_by_label("Password").fill("demo-browser-password")
    phone.get_by_role("button", name="Sign in").click()
    alice = User.objects.get(email="alice@example.com").pk
    phone.goto(f"{server_url}{path.format(alice=alice)}")

    # The page itself never scrolls sideways; wide tables scroll in their card.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    assert_reachable(phone, phone.get_by_role("main").get_by_role("button"))
    assert_reachable(phone, phone.get_by_role("main").get_by_role("link"))

    if path == "/console/groups/partners/members/":
        screenshot("console-phone", of=phone)

    # The menu folds behind a toggle, and opens to every section.
    menu = phone.get_by_role("navigation", name="Console sections")
    expect(menu.get_by_role("link", name="Users")).to_be_hidden()
    phone.get_by_role("button", name="Console menu").click()
    for section in ["Overview", "Groups", "Products", "Subscriptions", "Users", "Settings"]:
        expect(menu.get_by_role("link", name=section)).to_be_visible()
    context.close()
