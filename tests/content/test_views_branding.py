"""Settings › Branding in the console (who may open it, each refused input, a stale save),
the logo and accent stylesheet the portal links, and the portal pages that show them."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from content import branding
from content.colours import AA, contrast, validate_accent
from content.models import DEFAULT_ACCENT
from tests.conftest import hidden_version, messages_of
from tests.content import images

URL = "/console/settings/branding/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def form(**overrides):
    return {
        "portal_name": "Acme APIs",
        "accent_colour": "#0b5394",
        "version": str(branding.load().version),
    } | overrides


def upload(content, name="logo.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


def saved():
    return branding.load()


def test_the_settings_page_links_to_branding(admin_client):
    assert reverse("content:branding") == URL
    page = admin_client.get(reverse("console:settings")).content.decode()
    assert f'href="{URL}"' in page


def test_the_page_is_in_the_settings_section(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert response.context["console_section"] == "settings"
    assert "<title>Branding · Console · Portico</title>" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("blocked_user", 302),
        ("pending_user", 302),
        ("developer", 403),
        ("member", 403),
        ("support_staff", 403),
    ],
)
def test_only_administrators_may_open_or_save_branding(client, sign_in_as, method, who, status):
    version = branding.load().version
    sign_in_as(who)
    data = {"portal_name": "Taken over", "accent_colour": "#000000", "version": version}
    response = getattr(client, method)(URL, data) if method == "post" else client.get(URL)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("portal:login"))
    assert saved().portal_name == "Portico"


def test_a_save_changes_the_portal_at_once(client, admin_client):
    assert "Acme APIs" not in client.get(reverse("portal:landing")).content.decode()
    response = admin_client.post(URL, form(logo=upload(images.png(40, 20))))
    assert response.status_code == 302
    assert messages_of(admin_client.get(response["Location"])) == [
        "Saved the branding. The portal shows it from now on."
    ]
    row = saved()
    assert (row.portal_name, row.accent_colour, row.logo_type) == (
        "Acme APIs",
        "#0b5394",
        "image/png",
    )
    page = client.get(reverse("portal:products")).content.decode()
    logo = reverse("portal:branding_logo", args=[row.version])
    # The name is the link's text beside it, so the logo is decorative: a
    # screen reader would otherwise read the name twice.
    assert f'<img class="brand-logo" src="{logo}" alt="">' in page
    assert '<span class="brand-name">Acme APIs</span>' in page
    assert re.search(r"<title>[^<]* · Acme APIs</title>", page)
    accent = reverse("portal:branding_accent", args=[row.version])
    assert f'<link rel="stylesheet" href="{accent}">' in page


def test_the_default_accent_needs_no_stylesheet(client):
    page = client.get(reverse("portal:landing")).content.decode()
    assert "/branding/accent-" not in page
    assert '<span class="brand-name">Portico</span>' in page
    assert "brand-logo" not in page


def test_a_name_with_markup_or_other_scripts_is_shown_as_text(client, admin_client):
    name = "<script>alert(1)</script> Ærø 開発者"
    assert admin_client.post(URL, form(portal_name=name)).status_code == 302
    assert saved().portal_name == name
    page = client.get(reverse("portal:landing")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ærø 開発者" in page


def test_a_colour_is_accepted_without_the_hash_and_in_capitals(admin_client):
    assert admin_client.post(URL, form(accent_colour="0B5394")).status_code == 302
    assert saved().accent_colour == "#0b5394"


def field_errors(response, field):
    return " ".join(response.context["form"].errors.get(field, []))


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"portal_name": ""}, "portal_name", "required"),
        ({"portal_name": "   "}, "portal_name", "required"),
        ({"portal_name": "x" * 61}, "portal_name", "at most 60 characters"),
        ({"portal_name": "Acme\x07APIs"}, "portal_name", "control characters"),
        ({"portal_name": "Acme\x00"}, "portal_name", "Null characters"),
        ({"accent_colour": ""}, "accent_colour", "required"),
        ({"accent_colour": "blue"}, "accent_colour", "like #1f4e79"),
        ({"accent_colour": "#12345g"}, "accent_colour", "like #1f4e79"),
        ({"accent_colour": "#ffdd00"}, "accent_colour", "1.34:1"),
        ({"accent_colour": "#777777"}, "accent_colour", "4.47:1"),
        ({"logo": upload(images.SVG, "logo.png")}, "logo", "SVG and other formats"),
        ({"logo": upload(images.GIF)}, "logo", "SVG and other formats"),
        ({"logo": upload(images.png(1100, 10))}, "logo", "1100×10 pixels"),
        ({"logo": upload(images.png() + b"\0" * 300_000)}, "logo", "at most 256 KB"),
        ({"version": "x"}, "version", "whole number"),
    ],
)
def test_bad_input_is_refused_by_its_field_and_kept(admin_client, overrides, field, text):
    before = saved()
    response = admin_client.post(URL, form(**overrides))
    assert response.status_code == 400
    assert text in field_errors(response, field)
    after = saved()
    assert (after.version, after.portal_name, after.accent_colour, after.logo) == (
        before.version,
        before.portal_name,
        before.accent_colour,
        before.logo,
    )
    page = response.content.decode()
    if field != "portal_name":
        assert 'value="Acme APIs"' in page
    if field != "accent_colour":
        assert 'value="#0b5394"' in page


def test_a_too_light_colour_is_refused_with_its_ratio_and_a_darker_shade(admin_client):
    response = admin_client.post(URL, form(portal_name="Sunny", accent_colour="#FFDD00"))
    assert response.status_code == 400
    message = field_errors(response, "accent_colour")
    assert "White text on #ffdd00 has a contrast of 1.34:1" in message
    suggestion = re.search(r"Try (#[0-9a-f]{6})", message)
    assert suggestion and contrast(suggestion[1], "#ffffff") >= AA
    page = response.content.decode()
    # Next to the field, with what was typed still there.
    field = page[page.index('id="div_id_accent_colour"') :]
    field = field[: field.index('id="div_id_', 10)]
    assert "is-invalid" in field and "1.34:1" in field
    assert 'value="Sunny"' in page
    assert 'value="#FFDD00"' in page
    assert saved().accent_colour == DEFAULT_ACCENT


def test_a_logo_can_be_removed(admin_client, client):
    branding.set_logo(expected_version=None, content=images.png())
    page = admin_client.get(URL).content.decode()
    assert "Remove the logo" in page
    response = admin_client.post(URL, form(remove_logo="on"))
    assert response.status_code == 302
    assert saved().logo is None
    assert "brand-logo" not in client.get(reverse("portal:landing")).content.decode()


def test_a_new_logo_and_remove_together_are_refused(admin_client):
    response = admin_client.post(URL, form(remove_logo="on", logo=upload(images.png())))
    assert response.status_code == 400
    assert "not both" in field_errors(response, "remove_logo")


def test_a_stale_save_is_refused_and_shows_both_versions(admin_client):
    stale = form()
    branding.update_branding(expected_version=None, portal_name="Theirs")
    response = admin_client.post(URL, stale | {"portal_name": "Mine"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Someone else saved these settings while you were editing" in page
    assert "Portal name: Theirs" in page
    assert 'value="Mine"' in page
    assert saved().portal_name == "Theirs"
    # A second Save, made knowingly, wins.
    assert hidden_version(response) == saved().version
    again = admin_client.post(URL, stale | {"portal_name": "Mine", "version": saved().version})
    assert again.status_code == 302
    assert saved().portal_name == "Mine"


# The logo and the accent stylesheet


@pytest.mark.parametrize("who", ["anonymous", "developer"])
def test_the_logo_is_served_with_its_type_and_long_cache(client, sign_in_as, who):
    logo = images.png(30, 10)
    version = branding.set_logo(expected_version=None, content=logo).version
    sign_in_as(who)
    response = client.get(f"/branding/logo-{version}")
    assert response.status_code == 200
    assert response.content == logo
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_logo_refused_as_svg_can_never_be_served_as_one(client):
    # Whatever the file was called, only the bytes decide.
    version = branding.set_logo(expected_version=None, content=images.webp_lossless(8, 8)).version
    assert client.get(f"/branding/logo-{version}")["Content-Type"] == "image/webp"


def test_no_logo_is_404(client):
    assert client.get("/branding/logo-1").status_code == 404
    version = branding.set_logo(expected_version=None, content=images.png()).version
    version = branding.remove_logo(expected_version=version).version
    assert client.get(f"/branding/logo-{version}").status_code == 404


def test_an_old_logo_address_leads_to_the_current_logo(client):
    first = branding.set_logo(expected_version=None, content=images.png()).version
    current = branding.update_branding(expected_version=None, portal_name="Renamed").version
    response = client.get(f"/branding/logo-{first}")
    assert response.status_code == 302
    assert response["Location"] == f"/branding/logo-{current}"
    assert "immutable" not in response.get("Cache-Control", "")


def test_the_accent_stylesheet_sets_the_top_bars_colours(client):
    version = branding.update_branding(expected_version=None, accent_colour="#8a1538").version
    response = client.get(f"/branding/accent-{version}.css")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    css = response.content.decode()
    assert "--portico-blue: #8a1538;" in css
    topbar = re.search(r"--portico-topbar-text:\s*(#[0-9a-f]{6});", css)
    assert topbar and contrast(topbar[1], "#8a1538") >= AA
    assert "--bs-link-color-rgb: 138, 21, 56;" in css
    # Another version's address (a page from a moment before, or after, on
    # another process) gets the current colours, cached nowhere.
    other = client.get(f"/branding/accent-{version - 1}.css")
    assert other.status_code == 200
    assert other["Cache-Control"] == "no-cache"
    assert "--portico-blue: #8a1538;" in other.content.decode()


@settings(deadline=None)
@given(st.from_regex(r"\A#[0-9a-f]{6}\Z"))
def test_every_accepted_accent_keeps_the_top_bars_text_at_aa(colour):
    # tests/portal/test_topbar_contrast.py holds the default; this, any accent a save accepts.
    try:
        validate_accent(colour)
    except ValidationError:
        return
    brand = branding.Brand(accent_colour=colour)
    assert contrast(brand.topbar_text, colour) >= AA


def test_a_portal_page_costs_no_query_for_the_branding(
    client, member, django_assert_max_num_queries
):
    client.force_login(member)
    url = reverse("portal:products")

    def steady_queries():
        client.get(url)
        with django_assert_max_num_queries(30) as steady:
            page = client.get(url).content.decode()
        return page, [q["sql"] for q in steady.captured_queries]

    page, plain = steady_queries()
    assert "Portico" in page
    branding.update_branding(
        expected_version=None, portal_name="Acme", accent_colour="#8a1538", logo=images.png()
    )
    page, branded = steady_queries()
    assert "Acme" in page and "brand-logo" in page
    assert len(branded) == len(plain)
    # (The menus of pages have their own read of the shared cache.)
    assert not [sql for sql in branded if "branding" in sql]
