"""A page in the developer portal, its menus and the landing page: each shown to whom
it is meant for, the same 404 as a missing page for everyone else, and View as
showing what the previewed person would see."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from content import menus, services
from content.models import Page
from tests.conftest import normalised, normalised_headers
from tests.content.conftest import ALL, EVERYONE, PARTNERS, SIGNED_IN


def page_url(slug):
    return reverse("portal:page", args=[slug])


def top_menu(response):
    """The page addresses the top bar links to, in order."""
    assert response.status_code == 200
    nav = response.content.decode().split('<ul class="navbar-nav', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="/pages/([a-z0-9-]+)/"', nav)


def footer_menu(response):
    footer = response.content.decode().split("<footer", 1)[1]
    return re.findall(r'href="/pages/([a-z0-9-]+)/"', footer)


def view_as(client, kind, key):
    response = client.post(reverse("console:view_as"), {"kind": kind, "key": key})
    assert response.status_code == 302


# Opening a page


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("anonymous", EVERYONE),
        ("developer", SIGNED_IN),
        ("member", PARTNERS),
        ("outsider", SIGNED_IN),
        ("support_staff", SIGNED_IN),
        ("administrator", ALL),
    ],
)
def test_page_opens_for_whom_it_is_meant(client, pages, sign_in_as, who, seen):
    sign_in_as(who)

    opened = {slug for slug in pages if client.get(page_url(slug)).status_code == 200}

    assert opened == seen


@pytest.mark.parametrize(
    ("who", "hidden"),
    [
        ("anonymous", "signed-in"),
        ("anonymous", "partners-only"),
        ("anonymous", "draft"),
        ("developer", "partners-only"),
        ("developer", "nobody-chosen"),
        ("developer", "draft"),
        ("member", "others-only"),
        ("member", "draft"),
        ("support_staff", "partners-only"),
        ("support_staff", "draft"),
    ],
)
def test_hidden_page_is_the_same_404_as_missing(client, pages, sign_in_as, who, hidden):
    sign_in_as(who)

    refused = client.get(page_url(hidden))
    missing = client.get(page_url("no-such-page"))

    assert refused.status_code == missing.status_code == 404
    assert normalised(refused.content) == normalised(missing.content)
    assert normalised_headers(refused) == normalised_headers(missing)
    assert pages[hidden].title not in refused.content.decode()


def test_hidden_page_404_tells_a_guest_signing_in_may_show_more(client, pages):
    response = client.get(page_url("signed-in"))

    assert "signing in may show more" in response.content.decode()
    assert f"?next={page_url('signed-in')}" in response.content.decode()


def test_blocked_user_previewed_gets_404_for_a_signed_in_page(
    client, pages, administrator, blocked_user
):
    client.force_login(administrator)
    view_as(client, "user", blocked_user.pk)

    assert client.get(page_url("signed-in")).status_code == 404
    assert client.get(page_url("everyone")).status_code == 200


def test_page_shows_title_and_markdown_safely(client, make_portal_page):
    make_portal_page(
        "Guide",
        body="## Steps\n\n1. **Sign** in\n2. Subscribe\n\n<script>alert(1)</script>"
        "\n\n[x](javascript:alert(2))",
    )

    content = client.get(page_url("guide")).content.decode()

    assert "<h1" in content and ">Guide</h1>" in content
    assert "<strong>Sign</strong>" in content
    assert "<li>Subscribe</li>" in content
    assert "<script>alert(1)" not in content
    assert 'href="javascript' not in content


def test_draft_is_marked_for_administrators(client, make_portal_page, administrator):
    make_portal_page("Plans", state=Page.State.DRAFT)
    client.force_login(administrator)

    content = client.get(page_url("plans")).content.decode()

    assert "Draft: only administrators see it" in content


def test_published_page_has_no_draft_marker(client, make_portal_page, administrator):
    make_portal_page("Plans")
    client.force_login(administrator)

    assert "Draft:" not in client.get(page_url("plans")).content.decode()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_page_answers_get_only(client, make_portal_page, method):
    make_portal_page("Guide")

    assert getattr(client, method)(page_url("guide")).status_code == 405


def test_page_queries(client, pages, member, django_assert_num_queries):
    client.force_login(member)
    client.get(page_url("partners-only"))
    # 1. the session, 2. the user, 3. the viewer's groups (once: the menus
    # reuse them), 4. the page, 5. the menus' pages from the shared cache
    # (a query with the database cache, none with Redis).
    with django_assert_num_queries(5):
        response = client.get(page_url("partners-only"))
    assert response.status_code == 200


# The menus


@pytest.mark.parametrize(
    ("who", "top", "footer"),
    [
        ("anonymous", ["everyone"], ["terms"]),
        ("developer", ["everyone", "signed-in"], ["terms"]),
        ("member", ["everyone", "signed-in", "partners-only"], ["terms"]),
        ("outsider", ["everyone", "signed-in"], ["terms"]),
        ("support_staff", ["everyone", "signed-in"], ["terms"]),
        (
            "administrator",
            ["everyone", "signed-in", "partners-only", "nobody-chosen"],
            ["others-only", "terms"],
        ),
    ],
)
def test_menus_show_the_pages_the_viewer_may_open(client, pages, sign_in_as, who, top, footer):
    sign_in_as(who)

    response = client.get(reverse("portal:products"))

    assert top_menu(response) == top
    assert footer_menu(response) == footer
    assert "Portico developer portal" in response.content.decode()


def test_menu_marks_the_open_page(client, pages):
    content = client.get(page_url("everyone")).content.decode()

    assert re.search(r'aria-current="page"\s+href="/pages/everyone/"', content)
    assert not re.search(r'aria-current="page"\s+href="/pages/terms/"', content)


def test_menus_on_the_404_of_a_hidden_page_are_the_viewers(client, pages, developer):
    client.force_login(developer)

    response = client.get(page_url("partners-only"))

    assert "partners-only" not in response.content.decode()
    assert 'aria-current="page" href="/pages/' not in response.content.decode()


def test_console_pages_never_read_the_menus(client, administrator, pages, monkeypatch):
    def refuse(viewer):
        raise AssertionError("a console page read the portal's menus")

    monkeypatch.setattr(menus, "menu_pages", refuse)
    client.force_login(administrator)

    assert client.get(reverse("console:home")).status_code == 200
    assert client.get(reverse("groups:list")).status_code == 200


def test_a_page_leaving_a_menu_leaves_it_at_once(client, pages, member):
    client.force_login(member)
    assert "partners-only" in top_menu(client.get(reverse("portal:products")))

    page = pages["partners-only"]
    services.update_page(page=page, expected_version=page.version, menu="none")

    assert "partners-only" not in top_menu(client.get(reverse("portal:products")))
    assert client.get(page_url("partners-only")).status_code == 200


# View as


def test_view_as_a_person_shows_their_pages_and_menus(client, pages, administrator, member):
    client.force_login(administrator)
    view_as(client, "user", member.pk)

    assert top_menu(client.get(reverse("portal:products"))) == [
        "everyone",
        "signed-in",
        "partners-only",
    ]
    assert client.get(page_url("partners-only")).status_code == 200
    assert client.get(page_url("others-only")).status_code == 404
    assert client.get(page_url("draft")).status_code == 404


def test_view_as_someone_outside_the_group_shows_404_and_no_entry(
    client, pages, administrator, outsider
):
    client.force_login(administrator)
    view_as(client, "user", outsider.pk)

    assert "partners-only" not in top_menu(client.get(reverse("portal:products")))
    refused = client.get(page_url("partners-only"))
    missing = client.get(page_url("no-such-page"))
    assert refused.status_code == 404
    assert normalised(refused.content) == normalised(missing.content)


@pytest.mark.parametrize(
    ("group", "top", "footer"),
    [
        ("partners", ["everyone", "signed-in", "partners-only"], ["terms"]),
        ("others", ["everyone", "signed-in"], ["others-only", "terms"]),
        ("guests", ["everyone"], ["terms"]),
        ("developers", ["everyone", "signed-in"], ["terms"]),
    ],
)
def test_view_as_a_group_shows_its_members_menus(client, pages, administrator, group, top, footer):
    client.force_login(administrator)
    view_as(client, "group", group)

    response = client.get(reverse("portal:products"))

    assert top_menu(response) == top
    assert footer_menu(response) == footer


# The landing page


def hero_heading(response):
    assert response.status_code == 200
    return re.search(r'<h1 class="display-6[^"]*">([^<]*)</h1>', response.content.decode())[1]


def test_landing_shows_the_migrated_welcome(client, db):
    response = client.get(reverse("portal:landing"))

    assert hero_heading(response) == "APIs for building with us"
    content = response.content.decode()
    assert "Browse the API products open to you, subscribe, and get your keys." in content
    assert "<strong>Find a product.</strong>" in content
    assert response.context["landing_page"].slug == "welcome"


def test_landing_without_a_landing_page_shows_the_built_in_welcome(client, db):
    services.delete_page(page=Page.objects.get(slug="welcome"))

    response = client.get(reverse("portal:landing"))

    assert hero_heading(response) == "APIs for building with us"
    assert response.context["landing_page"] is None
    assert '<h2 class="h5">Find a product</h2>' in response.content.decode()


def test_landing_page_shows_its_title_body_and_products(client, make_portal_page, member, product):
    make_portal_page("Partner home", body="Hello **partners**.", is_landing=True)
    client.force_login(member)

    response = client.get(reverse("portal:landing"))

    assert hero_heading(response) == "Partner home"
    assert "Hello <strong>partners</strong>." in response.content.decode()
    assert "Products for you" in response.content.decode()


@pytest.mark.parametrize(("who", "heading"), [("member", "Partner home"), ("outsider", None)])
def test_landing_page_hidden_from_the_viewer_leaves_the_built_in_welcome(
    client, make_portal_page, partners, sign_in_as, who, heading
):
    make_portal_page("Partner home", visibility="groups", groups=[partners], is_landing=True)
    sign_in_as(who)

    response = client.get(reverse("portal:landing"))

    assert hero_heading(response) == (heading or "APIs for building with us")
    assert ("Partner home" in response.content.decode()) is (heading is not None)


@pytest.mark.parametrize(("who", "draft"), [("administrator", True), ("anonymous", False)])
def test_draft_landing_page_shows_to_administrators_only(
    client, make_portal_page, sign_in_as, who, draft
):
    make_portal_page("New home", state=Page.State.DRAFT, is_landing=True)
    sign_in_as(who)

    response = client.get(reverse("portal:landing"))

    assert (hero_heading(response) == "New home") is draft
    assert ("Draft: only administrators see it" in response.content.decode()) is draft


def test_view_as_shows_the_landing_page_the_previewed_person_sees(
    client, make_portal_page, partners, administrator, member, outsider
):
    make_portal_page("Partner home", visibility="groups", groups=[partners], is_landing=True)
    client.force_login(administrator)

    view_as(client, "user", outsider.pk)
    assert hero_heading(client.get(reverse("portal:landing"))) == "APIs for building with us"
    view_as(client, "user", member.pk)
    assert hero_heading(client.get(reverse("portal:landing"))) == "Partner home"


def test_landing_queries(client, pages, member, product, django_assert_num_queries):
    client.force_login(member)
    client.get(reverse("portal:landing"))
    # 1. the session, 2. the user, 3. the viewer's groups (once: products,
    # the landing page and the menus share them), 4. the products for you,
    # 5. the landing page, 6. the menus' pages from the shared cache (a
    # query with the database cache, none with Redis).
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:landing"))
    assert hero_heading(response) == "APIs for building with us"
