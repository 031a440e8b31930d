"""The console's Pages tab: who may open it, the list, a page's Overview, Publish and Delete."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from content import services
from content.models import Page, PageGroup, PageVersion
from tests.conftest import messages_of, table_row

# Every route of the tab, with the arguments it takes given a page's address.
ROUTES = [
    ("content:list", lambda slug: []),
    ("content:create", lambda slug: []),
    ("content:detail", lambda slug: [slug]),
    ("content:update", lambda slug: [slug]),
    ("content:publish", lambda slug: [slug]),
    ("content:unpublish", lambda slug: [slug]),
    ("content:delete", lambda slug: [slug]),
    ("content:access", lambda slug: [slug]),
    ("content:add_groups", lambda slug: [slug]),
    ("content:remove_group", lambda slug: [slug, "partners"]),
    ("content:versions", lambda slug: [slug]),
    ("content:version", lambda slug: [slug, 1]),
    ("content:restore", lambda slug: [slug, 1]),
]


@pytest.fixture(autouse=True)
def _no_welcome_page(db: None) -> None:
    """Start from an empty Pages tab: without the Welcome page the migration makes."""
    Page.objects.filter(slug="welcome").delete()


@pytest.fixture
def shared_guide(guide, partners):
    services.grant_page(page=guide, groups=[partners], added_by=None)
    return guide


def snapshot():
    return (
        sorted(Page.objects.values_list("slug", "title", "body", "state", "version")),
        sorted(PageGroup.objects.values_list("page__slug", "group__name")),
        sorted(PageVersion.objects.values_list("page__slug", "number")),
    )


@pytest.mark.parametrize("who", ["developer", "member", "support_staff"])
@pytest.mark.parametrize(("name", "args"), ROUTES)
def test_pages_tab_refuses_signed_in_non_administrators(
    client, request, shared_guide, who, name, args
):
    client.force_login(request.getfixturevalue(who))
    url = reverse(name, args=args(shared_guide.slug))
    before = snapshot()
    assert client.get(url).status_code in (403, 405)
    assert client.post(url, {"title": "Forged", "pick": ["partners"]}).status_code in (403, 405)
    assert snapshot() == before


@pytest.mark.parametrize("who", ["anonymous", "blocked_user", "pending_user"])
@pytest.mark.parametrize(("name", "args"), ROUTES)
def test_pages_tab_sends_guests_and_blocked_people_to_sign_in(
    client, request, shared_guide, who, name, args
):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    url = reverse(name, args=args(shared_guide.slug))
    before = snapshot()
    for response in (client.get(url), client.post(url, {"title": "Forged"})):
        assert response.status_code == 302
        assert (
            response["Location"]
            == f"{reverse('portal:login')}?{urlencode({'next': url}, safe='/')}"
        )
    assert snapshot() == before


@pytest.mark.parametrize(("name", "args"), [route for route in ROUTES if route[1]("x")])
def test_an_unknown_address_is_404(client, administrator, guide, name, args):
    client.force_login(administrator)
    url = reverse(name, args=args("no-such-page"))
    statuses = {client.get(url).status_code, client.post(url).status_code}
    # Each method the route answers finds no page; the other is refused as everywhere.
    assert 404 in statuses and statuses <= {404, 405}


def test_an_unknown_version_is_404(client, administrator, guide):
    client.force_login(administrator)
    assert client.get(reverse("content:version", args=[guide.slug, 99])).status_code == 404
    assert client.post(reverse("content:restore", args=[guide.slug, 99])).status_code == 404


def test_the_console_menu_has_pages_after_apis(client, administrator):
    client.force_login(administrator)
    body = client.get(reverse("content:list")).content.decode()
    apis = body.index(f'href="{reverse("apis:list")}"')
    pages = body.index(f'href="{reverse("content:list")}"')
    subscriptions = body.index(f'href="{reverse("subscriptions:list")}"')
    assert apis < pages < subscriptions
    assert 'aria-current="page"' in body[pages - 200 : pages + 200]


# The list


def test_an_empty_list_offers_add_page(client, administrator):
    client.force_login(administrator)
    body = client.get(reverse("content:list")).content.decode()
    assert "No pages yet" in body
    assert f'href="{reverse("content:create")}"' in body
    assert "+ Add page" in body


def test_the_list_shows_each_page(client, administrator, make_page, partners, beta):
    landing = make_page("Home", state=Page.State.PUBLISHED, is_landing=True)
    secret = make_page("Partner news", visibility=Page.Visibility.GROUPS, menu=Page.Menu.FOOTER)
    services.grant_page(page=secret, groups=[partners, beta], added_by=None)
    client.force_login(administrator)
    body = client.get(reverse("content:list")).content.decode()
    row = table_row(body, f'href="{reverse("content:detail", args=["home"])}"')
    assert "/pages/home/" in row and "Published" in row and "Landing page" in row
    assert "Everyone, guests included" in row
    row = table_row(body, f'href="{reverse("content:detail", args=[secret.slug])}"')
    assert "Draft" in row and "Footer" in row and "Landing page" not in row
    assert "Chosen groups" in row and "(2 groups)" in row
    assert landing.updated_at.strftime("%Y") in body


def test_the_list_searches_title_address_and_text(client, administrator, make_page):
    make_page("Getting started", body="Install the CLI")
    make_page("Pricing", slug="plans", body="Gold and silver")
    make_page("Errors", body="What a 429 means")
    client.force_login(administrator)

    def found(query):
        body = client.get(reverse("content:list"), {"q": query}).content.decode()
        return {
            slug for slug in ("getting-started", "plans", "errors") if f"/pages/{slug}/" in body
        }

    assert found("started") == {"getting-started"}
    assert found("PLANS") == {"plans"}
    assert found("429") == {"errors"}
    assert found("cli install") == {"getting-started"}
    assert found("nothing-like-it") == set()


def test_the_list_filters_by_state_menu_and_audience(client, administrator, make_page):
    make_page("One", state=Page.State.PUBLISHED, menu=Page.Menu.TOP)
    make_page("Two", menu=Page.Menu.FOOTER, visibility=Page.Visibility.SIGNED_IN)
    make_page("Three", state=Page.State.PUBLISHED, visibility=Page.Visibility.GROUPS)
    client.force_login(administrator)

    def found(**params):
        body = client.get(reverse("content:list"), params).content.decode()
        return {slug for slug in ("one", "two", "three") if f"/pages/{slug}/" in body}

    assert found(state="published") == {"one", "three"}
    assert found(state="draft") == {"two"}
    assert found(menu="footer") == {"two"}
    assert found(visibility="groups") == {"three"}
    assert found(state="published", menu="top") == {"one"}
    assert found(state="bogus", menu="<script>") == {"one", "two", "three"}
    params = {"visibility": "signedIn", "state": "published"}
    body = client.get(reverse("content:list"), params).content.decode()
    assert "No pages match" in body


def test_the_list_sorts(client, administrator, make_page):
    make_page("beta", order=1)
    make_page("Alpha", order=3)
    make_page("Gamma", order=2)
    client.force_login(administrator)

    def order(sort):
        body = client.get(reverse("content:list"), {"sort": sort}).content.decode()
        return sorted(("alpha", "beta", "gamma"), key=lambda slug: body.index(f"/pages/{slug}/"))

    assert order("title") == ["alpha", "beta", "gamma"]
    assert order("-title") == ["gamma", "beta", "alpha"]
    assert order("order") == ["beta", "gamma", "alpha"]
    assert order("bogus") == ["alpha", "beta", "gamma"]


def test_the_list_pages(client, administrator, make_page, settings):
    settings.PORTICO_PAGE_SIZE = 2
    for n in range(5):
        make_page(f"Page {n}")
    client.force_login(administrator)
    body = client.get(reverse("content:list"), {"page": 3}).content.decode()
    assert "/pages/page-4/" in body and "/pages/page-0/" not in body


def test_the_list_shows_titles_escaped(client, administrator, make_page):
    make_page("<script>alert(1)</script> & Ünïcødé 日本", slug="odd")
    client.force_login(administrator)
    body = client.get(reverse("content:list")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Ünïcødé 日本" in body


def test_list_queries_do_not_grow_with_rows(
    client, administrator, partners, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_pages(numbers):
        pages = Page.objects.bulk_create(
            Page(title=f"Page {n:03}", slug=f"page-{n:03}", visibility="groups") for n in numbers
        )
        PageGroup.objects.bulk_create(PageGroup(page=page, group=partners) for page in pages)

    # 1. the session
    # 2. the signed-in user
    # 3. the paginator's COUNT of the pages (capped)
    # 4. the ids of one page of pages
    # 5. those pages, with group_count as a correlated subquery
    # 6. the menu's badge of waiting approvals, read from the shared cache
    assert_queries_do_not_grow(reverse("content:list"), add_pages, 6)


# A page's Overview


def test_overview_renders_the_markdown_as_the_portal_would(client, administrator, guide):
    client.force_login(administrator)
    body = client.get(reverse("content:detail", args=[guide.slug])).content.decode()
    assert "<h1>Welcome</h1>" in body
    assert "<em>steps</em>" in body
    assert f'href="{guide.get_absolute_url()}"' in body
    assert "Open in the portal" in body
    assert "Everyone, guests included" in body
    assert f'action="{reverse("content:unpublish", args=[guide.slug])}"' in body


def test_overview_escapes_html_in_the_body_and_title(client, administrator, make_page):
    page = make_page(
        "<b>Bold</b>", slug="bold", body="<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    )
    client.force_login(administrator)
    body = client.get(reverse("content:detail", args=[page.slug])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "<b>Bold</b>" not in body
    assert 'href="javascript:' not in body


def test_overview_of_a_page_for_chosen_groups_without_any(client, administrator, make_page):
    page = make_page("Secret", visibility=Page.Visibility.GROUPS)
    client.force_login(administrator)
    body = client.get(reverse("content:detail", args=[page.slug])).content.decode()
    assert "only administrators" in body
    assert f'action="{reverse("content:publish", args=[page.slug])}"' in body


# Publish and Unpublish


def test_publish_and_unpublish(client, administrator, make_page):
    page = make_page("Draft page")
    client.force_login(administrator)
    url = reverse("content:publish", args=[page.slug])
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("content:detail", args=[page.slug]), 302)]
    assert Page.objects.get(pk=page.pk).state == Page.State.PUBLISHED
    assert messages_of(response) == [
        "Published Draft page: everyone, guests included, can open it now."
    ]
    versions = PageVersion.objects.filter(page=page).count()
    # Pressed twice (a replayed POST): no change, no new version, and it says so.
    response = client.post(url, follow=True)
    assert messages_of(response) == ["Draft page is already published."]
    assert PageVersion.objects.filter(page=page).count() == versions
    response = client.post(reverse("content:unpublish", args=[page.slug]), follow=True)
    assert Page.objects.get(pk=page.pk).state == Page.State.DRAFT
    response = client.post(reverse("content:unpublish", args=[page.slug]), follow=True)
    assert messages_of(response) == ["Draft page is already a draft."]


def test_publish_only_posts(client, administrator, guide):
    client.force_login(administrator)
    assert client.get(reverse("content:publish", args=[guide.slug])).status_code == 405
    assert client.get(reverse("content:unpublish", args=[guide.slug])).status_code == 405
    assert Page.objects.get(pk=guide.pk).state == Page.State.PUBLISHED


# Delete


def test_delete_asks_first_naming_what_is_lost(client, administrator, shared_guide):
    client.force_login(administrator)
    url = reverse("content:delete", args=[shared_guide.slug])
    body = client.get(url).content.decode()
    assert "Delete the page Getting started?" in body
    assert "1 kept version" in body
    assert "Access for 1 group: Partners." in body
    assert "top menu" in body
    assert "built-in welcome" not in body
    assert Page.objects.filter(pk=shared_guide.pk).exists()
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("content:list"), 302)]
    assert messages_of(response) == ["Deleted the page Getting started."]
    assert not Page.objects.exists()
    assert not PageVersion.objects.exists() and not PageGroup.objects.exists()
    # Replayed: the page is gone.
    assert client.post(url).status_code == 404


def test_deleting_the_landing_page_says_the_front_page_falls_back(client, administrator, make_page):
    page = make_page("Home", is_landing=True, state=Page.State.PUBLISHED)
    client.force_login(administrator)
    url = reverse("content:delete", args=[page.slug])
    assert "falls back to the built-in welcome" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "built-in welcome" in messages_of(response)[0]
