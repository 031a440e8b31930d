"""Every page passes axe-core's WCAG 2.1 A and AA rules with no serious or critical violation.

The test crawls the site as a guest, a developer and an administrator, following the links each
of them sees, so a page added later is checked without being listed here. The pages a crawl
can't reach by a link (a form with its errors, the 404 page, the phone-width menu) are checked
one by one. axe-core is vendored under static/vendor/axe-core/ (`make vendor-axe`); pages never
load it: the test injects it.
"""

from __future__ import annotations

import os
from collections import Counter, deque
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from groups import invitations
from groups import services as group_services
from groups.models import Group
from portal.models import Job, User
from products import services as product_services
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

from .conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
FAILING_IMPACTS = {"serious", "critical"}
# How many addresses of one URL pattern the crawl checks (two groups, not every group), and of
# one path with different query strings (a list and one of its filters). Each page costs about a
# second on a busy 2-core machine; PORTICO_AXE_PER_ROUTE=5 checks more, more slowly.
PER_ROUTE = int(os.environ.get("PORTICO_AXE_PER_ROUTE", "2"))
PER_PATH = 2
# Not crawled: Django's admin (support staff's tool, styled by Django), signing out.
SKIPPED_PREFIXES = ("/admin/", "/signout/")
LINKS = "links => links.map(a => a.href)"
# The menus whose every link the crawl must have checked.
MENUS = "nav[aria-label='Developer portal'], #console-menu, footer"


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # The portal's CSP allows only its own scripts; axe is injected as an inline one.
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def site(demo: None) -> None:
    """The demo data, plus one of each state a page shows differently."""
    admin = User.objects.get(email="admin@example.com")
    dana = User.objects.get(email="dana@example.com")
    group_services.create_group(
        name="contoso-directory",
        display_name="Contoso directory",
        description="Contoso's staff, as their directory says.",
        external_id="Contoso-Staff",
    )
    partners = Group.objects.get(name="partners")
    partners = group_services.update_group(
        group=partners, expected_version=partners.version, requestable=True
    )
    group_services.request_to_join(user=dana, group=partners, reason="I build the Acme sync.")
    logistics = Product.objects.get(name="partner-logistics")
    logistics = product_services.update_product(
        product=logistics, expected_version=logistics.version, listed=True
    )
    product_services.request_access(user=dana, product=logistics, reason="Our warehouse feed.")
    starter = Product.objects.get(name="starter")
    cancelled = subscription_services.subscribe(
        developer=dana, product=starter, display_name="Dana's old prototype", accepted_terms=True
    )
    subscription_services.change_state(subscription=cancelled, action="cancel")
    invitations.invite(email="pat@partner.example", invited_by=admin)
    assert Subscription.objects.filter(state=Subscription.State.SUBMITTED).exists()
    assert Job.objects.exists()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """The serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [v for v in result["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(violations: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for url, found in violations.items():
        for violation in found:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            lines.append(
                f"{violation['id']} ({violation['impact']}) on {url}: {violation['help']}\n"
                + "".join(f"    {target}\n" for target in targets[:10])
            )
    return "\n".join(lines)


def route_of(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return path
    return f"{match.view_name} {match.route}"


class Crawl:
    """Same-origin links followed breadth first, a few addresses per URL pattern."""

    def __init__(self, page: Any, server_url: str) -> None:
        self.page = page
        self.origin = server_url.rstrip("/")
        self.seen: set[str] = set()
        # Menu entries are all checked, whatever the cap per route: the pages in the menus
        # (several share the route of a page) are the ones everyone reaches first.
        self.menu_links: set[str] = set()
        self.checked: list[str] = []
        self.per_route: Counter[str] = Counter()
        self.per_path: Counter[str] = Counter()
        self.violations: dict[str, list[dict[str, Any]]] = {}

    def normal(self, href: str) -> str | None:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None
        if parts.path.startswith(SKIPPED_PREFIXES):
            return None
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))

    def check(self, url: str) -> None:
        """Check the page open now, under this address."""
        found = run_axe(self.page)
        if found:
            self.violations[url] = found

    def run(self, *starts: str) -> None:
        queue = deque(self.origin + start for start in starts)
        while queue:
            url = queue.popleft()
            if url in self.seen:
                continue
            self.seen.add(url)
            path = urlsplit(url).path
            route = route_of(path)
            capped = self.per_route[route] >= PER_ROUTE or self.per_path[path] >= PER_PATH
            if capped and url not in self.menu_links:
                continue
            try:
                response = self.page.goto(url)
            except PlaywrightError:
                continue  # a download (a document, a file of keys): no page to check
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue
            self.per_route[route] += 1
            self.per_path[path] += 1
            self.checked.append(url)
            self.check(url)
            menu_links = self.links_in(MENUS) - self.seen
            self.menu_links |= menu_links
            queue.extendleft(sorted(menu_links))
            for href in self.page.eval_on_selector_all("a[href]", LINKS):
                link = self.normal(href)
                if link and link not in self.seen:
                    queue.append(link)

    def links_in(self, selector: str) -> set[str]:
        links = ", ".join(f"{part.strip()} a[href]" for part in selector.split(","))
        hrefs = self.page.eval_on_selector_all(links, LINKS)
        return {link for href in hrefs if (link := self.normal(href))}


@pytest.mark.parametrize(
    ("who", "starts"),
    [
        (None, ["/"]),
        ("alice@example.com", ["/"]),
        ("admin@example.com", ["/console/", "/"]),
    ],
    ids=["guest", "developer", "administrator"],
)
def test_every_page_a_person_can_reach_passes_axe(page, server_url, site, sign_in, who, starts):
    if who:
        sign_in(who)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    crawl = Crawl(page, server_url)
    crawl.run(*starts)

    # Every menu entry (the portal's top bar and footer, the console's sections) was checked.
    menus = set()
    for start in starts:
        page.goto(server_url + start)
        menus |= crawl.links_in(MENUS)
    assert menus - {crawl.origin + "/"}, "the menus were found"
    assert not menus - set(crawl.checked), "menu links the crawl missed"
    assert not crawl.violations, describe(crawl.violations)


def test_pages_in_states_a_crawl_does_not_reach_pass_axe(
    page, browser, server_url, site, sign_in, screenshot
):
    crawl = Crawl(page, server_url)

    # The 404 page, and sign-in refused.
    page.goto(f"{server_url}/no-such-page/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    crawl.check("404 page, as a guest")
    sign_in("alice@example.com", "not-her-password")
    expect(page.locator(".alert, .invalid-feedback, .errorlist").first).to_be_visible()
    crawl.check("sign-in with a wrong password")

    # A developer: a console page (403), a missing product (404).
    sign_in("alice@example.com")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{server_url}/console/")
    crawl.check("the console, as a developer (403)")
    page.goto(f"{server_url}/products/no-such-product/")
    crawl.check("a missing product, as a developer (404)")

    # An administrator: a form sent empty shows its errors.
    sign_in("admin@example.com")
    page.goto(f"{server_url}/console/groups/new/")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    crawl.check("Groups › + Add, sent empty")
    page.goto(f"{server_url}/console/products/new/")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    crawl.check("Products › + Add, sent empty")
    # A job that hasn't run (the immediate task backend runs the others at once).
    waiting = Job.objects.create(kind="access_rule", title="Access rule: checking 3", total=3)
    page.goto(f"{server_url}/console/jobs/{waiting.pk}/")
    expect(page.get_by_label("Refresh every few seconds")).to_be_checked()
    crawl.check("a job still waiting, its page refreshing itself")

    # A phone: the portal's and the console's menus opened.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, bypass_csp=True
    )
    try:
        crawl.page = phone.new_page()
        crawl.page.goto(f"{server_url}/")
        crawl.page.get_by_role("button", name="Toggle navigation").click()
        expect(crawl.page.get_by_role("link", name="Products", exact=True)).to_be_visible()
        crawl.check("the portal on a phone, menu open")
        screenshot("a11y-phone-portal-menu", of=crawl.page)
        # The administrator's cookies: the console's menu on a phone.
        phone.add_cookies(page.context.cookies())
        crawl.page.goto(f"{server_url}/console/")
        crawl.page.get_by_role("button", name="Console menu").click()
        expect(crawl.page.get_by_role("link", name="Groups", exact=True)).to_be_visible()
        crawl.check("the console on a phone, menu open")
        screenshot("a11y-phone-console-menu", of=crawl.page)
    finally:
        phone.close()
    assert not crawl.violations, describe(crawl.violations)
