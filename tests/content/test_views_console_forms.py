"""The console's Pages tab: + Add page and a page's Settings, with every bad input."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from content import services
from content.forms import propose_slug
from content.models import Page, PageVersion
from tests.conftest import hidden_version, messages_of
from tests.content.conftest import page_form


@pytest.fixture(autouse=True)
def _no_welcome_page(db: None) -> None:
    """Start from an empty Pages tab: without the Welcome page the migration makes."""
    Page.objects.filter(slug="welcome").delete()


def field_errors(response, field):
    """The error messages shown next to one field."""
    body = response.content.decode()
    found = re.findall(rf'id="error_\d+_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', body, re.S)
    return [html.unescape(message) for message in found]


# + Add page


def test_add_page_creates_a_draft(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("content:create"),
        page_form(title="Getting started", body="# Hi", menu="top", order="2"),
        follow=True,
    )
    page = Page.objects.get()
    assert response.redirect_chain == [(reverse("content:detail", args=["getting-started"]), 302)]
    assert (page.title, page.slug, page.body, page.menu, page.order) == (
        "Getting started",
        "getting-started",
        "# Hi",
        "top",
        2,
    )
    assert page.state == Page.State.DRAFT
    assert page.updated_by == administrator
    assert "It is a draft" in messages_of(response)[0]
    assert list(PageVersion.objects.values_list("number", "title")) == [(1, "Getting started")]


def test_add_page_publish_now(client, administrator):
    client.force_login(administrator)
    client.post(reverse("content:create"), page_form(publish_now="on"))
    assert Page.objects.get().state == Page.State.PUBLISHED


def test_add_page_for_chosen_groups_says_where_to_choose_them(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("content:create"), page_form(visibility="groups"), follow=True)
    assert "Choose the groups that see it under Access." in messages_of(response)[0]


def test_add_page_proposes_the_address_from_the_title(client, administrator):
    client.force_login(administrator)
    client.post(reverse("content:create"), page_form(title="Café & Crème: v2.0_beta", slug=""))
    assert Page.objects.get().slug == "cafe-creme-v2-0-beta"


def test_the_form_marks_the_fields_the_script_proposes_from(client, administrator):
    client.force_login(administrator)
    body = client.get(reverse("content:create")).content.decode()
    assert re.search(r'<input[^>]*name="title"[^>]*data-entity-name', body)
    assert re.search(r'<input[^>]*name="slug"[^>]*data-entity-id="slug"', body)
    assert "js/entity-form.js" in body
    assert re.search(r'<textarea[^>]*name="body"', body)
    assert re.search(r'<input[^>]*type="checkbox"[^>]*name="publish_now"', body)
    assert re.search(r'<input[^>]*type="checkbox"[^>]*name="is_landing"', body)
    for field in ("title", "slug", "visibility", "menu", "order", "body"):
        assert f'for="id_{field}"' in body


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Getting started", "getting-started"),
        ("  Ünïcödé Straße  ", "unicode-strae"),
        ("a.b_c", "a-b-c"),
        ("日本語", ""),
        ("---", ""),
    ],
)
def test_propose_slug(title, expected):
    assert propose_slug(title) == expected


def test_a_title_with_nothing_to_propose_from_asks_for_an_address(client, administrator):
    client.force_login(administrator)
    data = page_form(title="日本語", slug="")
    response = client.post(reverse("content:create"), data)
    assert response.status_code == 200
    assert field_errors(response, "slug") == [
        "Enter an address: the title has no letters or digits to propose one from."
    ]
    assert not Page.objects.exists()


def test_a_unicode_title_is_kept_as_typed(client, administrator):
    client.force_login(administrator)
    client.post(reverse("content:create"), page_form(title="日本語のガイド 🚀", slug="guide-ja"))
    page = Page.objects.get()
    assert page.title == "日本語のガイド 🚀"
    body = client.get(reverse("content:detail", args=[page.slug])).content.decode()
    assert "日本語のガイド 🚀" in body


def test_html_in_the_title_is_shown_escaped(client, administrator):
    client.force_login(administrator)
    client.post(
        reverse("content:create"),
        page_form(title="<script>alert(1)</script>", slug="xss", publish_now="on"),
    )
    page = Page.objects.get()
    assert page.title == "<script>alert(1)</script>"
    for name in ("content:detail", "content:update", "content:versions", "content:delete"):
        body = client.get(reverse(name, args=[page.slug])).content.decode()
        assert "<script>alert(1)</script>" not in body, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, name


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        (
            {"title": "x" * 201},
            "title",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        (
            {"body": "x" * 100_001},
            "body",
            "Ensure this value has at most 100000 characters (it has 100001).",
        ),
        ({"slug": "Getting Started"}, "slug", None),
        ({"slug": "a--b"}, "slug", None),
        ({"slug": "-a"}, "slug", None),
        ({"slug": "a/b"}, "slug", None),
        ({"slug": "new"}, "slug", "“new” is reserved; choose another address."),
        ({"slug": "x" * 101}, "slug", None),
        ({"visibility": "admins"}, "visibility", None),
        ({"menu": "side"}, "menu", None),
        ({"order": "one"}, "order", "Enter a whole number."),
        ({"order": "99999999999"}, "order", None),
    ],
)
def test_add_page_refuses_bad_input_beside_the_field(
    client, administrator, changes, field, message
):
    client.force_login(administrator)
    data = page_form(title="Kept title", body="Kept body") | changes
    response = client.post(reverse("content:create"), data)
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors, response.content.decode()
    if message is not None:
        assert errors == [message]
    assert not Page.objects.exists()
    # Nothing typed is lost.
    body = response.content.decode()
    if field != "body":
        assert "Kept body" in body
    if field != "title":
        assert 'value="Kept title"' in body


def test_a_bad_address_says_what_an_address_may_hold(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("content:create"), page_form(slug="Getting Started"))
    assert field_errors(response, "slug") == [
        "Use lowercase letters, digits and single hyphens between them, like getting-started."
    ]


@pytest.mark.parametrize("typed", ["getting-started", ""])
def test_add_page_refuses_a_taken_address(client, administrator, guide, typed):
    client.force_login(administrator)
    response = client.post(
        reverse("content:create"), page_form(title="Getting Started", slug=typed)
    )
    assert field_errors(response, "slug") == [
        "Another page already has the address “getting-started”. Choose another address."
    ]
    assert Page.objects.count() == 1


def test_add_page_replayed_is_refused_as_a_taken_address(client, administrator):
    client.force_login(administrator)
    data = page_form(title="Once")
    assert client.post(reverse("content:create"), data).status_code == 302
    response = client.post(reverse("content:create"), data)
    assert response.status_code == 200
    assert field_errors(response, "slug")
    assert Page.objects.count() == 1


def test_a_new_landing_page_takes_the_old_ones_place(client, administrator, make_page):
    old = make_page("Old home", is_landing=True)
    client.force_login(administrator)
    response = client.post(
        reverse("content:create"), page_form(title="New home", slug="", is_landing="on")
    )
    assert response.status_code == 302
    assert list(Page.objects.filter(is_landing=True).values_list("slug", flat=True)) == ["new-home"]
    assert not Page.objects.get(pk=old.pk).is_landing


# Settings


def test_settings_save_everything_and_keep_a_version(client, administrator, guide):
    client.force_login(administrator)
    url = reverse("content:update", args=[guide.slug])
    version = hidden_version(client.get(url))
    response = client.post(
        url,
        page_form(
            guide,
            title="Start here",
            slug="start-here",
            body="New text",
            visibility="signedIn",
            menu="footer",
            order="5",
            is_landing="on",
            version=version,
        ),
        follow=True,
    )
    new_url = reverse("content:update", args=["start-here"])
    assert response.redirect_chain == [(new_url, 302)]
    assert messages_of(response) == ["Saved the settings of Start here."]
    page = Page.objects.get(pk=guide.pk)
    assert (page.title, page.slug, page.body, page.visibility, page.menu, page.order) == (
        "Start here",
        "start-here",
        "New text",
        "signedIn",
        "footer",
        5,
    )
    assert page.is_landing and page.state == Page.State.PUBLISHED
    assert page.version == version + 1
    assert list(page.versions.values_list("number", "title")) == [
        (page.version, "Start here"),
        (1, "Getting started"),
    ]
    assert client.get(url).status_code == 404


def test_settings_that_change_no_text_keep_no_new_version(client, administrator, guide):
    client.force_login(administrator)
    url = reverse("content:update", args=[guide.slug])
    client.post(url, page_form(guide, menu="footer"))
    assert Page.objects.get(pk=guide.pk).menu == "footer"
    assert guide.versions.count() == 1


def test_settings_refuse_an_address_taken_in_another_page(client, administrator, guide, make_page):
    other = make_page("Pricing")
    client.force_login(administrator)
    response = client.post(
        reverse("content:update", args=[other.slug]),
        page_form(other, slug="getting-started", body="Typed"),
    )
    assert field_errors(response, "slug") == [
        "Another page already has the address “getting-started”. Choose another address."
    ]
    assert "Typed" in response.content.decode()
    assert Page.objects.get(pk=other.pk).slug == "pricing"


def test_settings_keep_the_own_address(client, administrator, guide):
    client.force_login(administrator)
    response = client.post(reverse("content:update", args=[guide.slug]), page_form(guide))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "x" * 100_001}, "body"),
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "new"}, "slug"),
    ],
)
def test_settings_refuse_bad_input(client, administrator, guide, changes, field):
    client.force_login(administrator)
    before = Page.objects.filter(pk=guide.pk).values().get()
    response = client.post(reverse("content:update", args=[guide.slug]), page_form(guide) | changes)
    assert response.status_code == 200
    assert field_errors(response, field)
    assert Page.objects.filter(pk=guide.pk).values().get() == before


def test_settings_refuse_to_overwrite_another_save(client, administrator, guide):
    client.force_login(administrator)
    url = reverse("content:update", args=[guide.slug])
    version = hidden_version(client.get(url))
    # Another administrator saves first.
    services.update_page(page=guide, expected_version=version, body="Their text")
    response = client.post(url, page_form(guide, body="My text", version=version))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Someone else saved this page while you were editing" in body
    assert "Their text" in body and "My text" in body
    assert Page.objects.get(pk=guide.pk).body == "Their text"
    # The form is now at the version just read: Save again, knowingly, wins.
    new_version = hidden_version(response)
    assert new_version == version + 1
    response = client.post(url, page_form(guide, body="My text", version=new_version))
    assert response.status_code == 302
    assert Page.objects.get(pk=guide.pk).body == "My text"


def test_settings_replayed_after_saving_is_a_conflict(client, administrator, guide):
    client.force_login(administrator)
    url = reverse("content:update", args=[guide.slug])
    data = page_form(guide, title="Once more", version=guide.version)
    assert client.post(url, data).status_code == 302
    response = client.post(reverse("content:update", args=[guide.slug]), data)
    assert response.status_code == 200
    assert "Someone else saved this page" in response.content.decode()
    assert guide.versions.count() == 2
