"""The console's "View as": the developer portal as a person or a group's member sees it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from groups import services as group_services
from groups.models import Group
from portal import preview
from portal.models import User
from tests.conftest import (
    DEVELOPER_CATALOGUE,
    EVERYTHING,
    GUEST_CATALOGUE,
    PARTNER_CATALOGUE,
    catalogue,
    normalised,
    shown_products,
)

PREVIEW_BANNER = "You are viewing the portal as"


def view_as(client, kind, key):
    return client.post(reverse("console:view_as"), {"kind": kind, "key": key})


@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("anonymous", "sign-in"),
        ("developer", 403),
        ("support_staff", 403),
        ("member", 403),
        ("blocked_user", "sign-in"),
    ],
)
def test_view_as_a_person_is_for_administrators_only(client, sign_in_as, developer, who, outcome):
    # tests/test_console_access.py asks for a group's view; asking for a
    # person's, even one's own, is refused the same way.
    user = sign_in_as(who)
    key = str((user or developer).pk)

    response = view_as(client, "user", key)

    if outcome == "sign-in":
        url = reverse("console:view_as")
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('portal:login')}?next={url}"
    else:
        assert response.status_code == outcome
    assert preview.SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("group", "no-such-group"),
        ("group", ""),
        ("user", "999999"),
        ("user", "not-a-number"),
        ("user", ""),
        ("user", "-1"),
        ("someone", "partners"),
        ("", ""),
    ],
)
def test_view_as_unknown_target_is_404(client, administrator, partners, kind, key):
    client.force_login(administrator)

    response = view_as(client, kind, key)

    assert response.status_code == 404
    assert preview.SESSION_KEY not in client.session
    assert PREVIEW_BANNER not in client.get(reverse("portal:products")).content.decode()


@pytest.fixture
def directory_member(make_user, external):
    member = make_user(email="directory@example.com")
    group_services.add_directory_members(group=external, users=[member], via="sign-in")
    return member


@pytest.mark.parametrize(
    ("group", "member_fixture", "expected"),
    [
        ("partners", "member", PARTNER_CATALOGUE),
        ("directory", "directory_member", DEVELOPER_CATALOGUE | {"directory-deals"}),
        ("developers", "developer", DEVELOPER_CATALOGUE),
    ],
)
def test_view_as_group_shows_what_its_members_see(
    client, request, administrator, shelf, make_product, external, group, member_fixture, expected
):
    make_product("Directory Deals", groups=[external])
    member = request.getfixturevalue(member_fixture)
    member_client = Client()
    member_client.force_login(member)
    client.force_login(administrator)

    response = view_as(client, "group", group)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:products")
    page = client.get(reverse("portal:products"))
    assert set(shown_products(page)) == expected == catalogue(member_client)
    content = page.content.decode()
    display_name = Group.objects.get(name=group).display_name
    assert f"{PREVIEW_BANNER} a member of {display_name}" in content


def test_view_as_guests_shows_the_guest_catalogue(client, administrator, shelf):
    client.force_login(administrator)

    view_as(client, "group", Group.GUESTS)

    page = client.get(reverse("portal:products"))
    assert set(shown_products(page)) == GUEST_CATALOGUE
    assert f"{PREVIEW_BANNER} a member of Guests" in page.content.decode()
    landing = client.get(reverse("portal:landing"))
    assert set(shown_products(landing)) <= GUEST_CATALOGUE
    assert PREVIEW_BANNER in landing.content.decode()


def test_view_as_banner_escapes_names(client, administrator, make_user):
    person = make_user(first_name="<b>Eve</b>", last_name="& co")
    client.force_login(administrator)

    view_as(client, "user", str(person.pk))

    content = client.get(reverse("portal:products")).content.decode()
    assert f"{PREVIEW_BANNER} &lt;b&gt;Eve&lt;/b&gt; &amp; co ({person.email})" in content


def test_view_as_administrators_shows_everything(client, administrator, shelf):
    client.force_login(administrator)

    view_as(client, "group", Group.ADMINISTRATORS)

    assert catalogue(client) == EVERYTHING


@pytest.fixture
def blocked_partner(make_user, partners):
    member = make_user(email="gone@example.com", state=User.State.BLOCKED)
    group_services.add_members(group=partners, users=[member], added_by=None)
    return member


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("developer", DEVELOPER_CATALOGUE),
        ("member", PARTNER_CATALOGUE),
        ("support_staff", DEVELOPER_CATALOGUE),
        ("blocked_partner", GUEST_CATALOGUE),
        ("pending_user", GUEST_CATALOGUE),
    ],
)
def test_view_as_user_shows_their_catalogue(client, request, administrator, shelf, who, expected):
    person = request.getfixturevalue(who)
    client.force_login(administrator)

    response = view_as(client, "user", str(person.pk))

    assert response.status_code == 302
    page = client.get(reverse("portal:products"))
    assert set(shown_products(page)) == expected
    assert f"{PREVIEW_BANNER} {person.display_name} ({person.email})" in page.content.decode()


@pytest.mark.parametrize(
    ("kind", "key", "hidden"),
    [
        ("group", "partners", "draft-plans"),
        ("group", "partners", "internal-tools"),
        ("group", "partners", "visitors-only"),
        ("group", "guests", "payments"),
        ("group", "developers", "partner-deals"),
        ("user", "developer", "partner-deals"),
        ("user", "blocked_partner", "partner-deals"),
    ],
)
def test_view_as_hidden_product_is_404(client, request, administrator, shelf, kind, key, hidden):
    if kind == "user":
        key = str(request.getfixturevalue(key).pk)
    client.force_login(administrator)
    assert client.get(reverse("portal:product", args=[hidden])).status_code == 200

    client.post(reverse("console:view_as"), {"kind": kind, "key": key}, follow=True)

    response = client.get(reverse("portal:product", args=[hidden]))
    missing = client.get(reverse("portal:product", args=["no-such-product"]))
    assert response.status_code == 404
    assert normalised(response.content) == normalised(missing.content)
    assert PREVIEW_BANNER in response.content.decode()


def test_view_as_stop_ends_the_preview(client, administrator, shelf):
    client.force_login(administrator)
    view_as(client, "group", Group.GUESTS)
    assert catalogue(client) == GUEST_CATALOGUE

    response = client.post(reverse("console:view_as_stop"))

    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    assert preview.SESSION_KEY not in client.session
    page = client.get(reverse("portal:products"))
    assert set(shown_products(page)) == EVERYTHING
    assert PREVIEW_BANNER not in page.content.decode()


@pytest.mark.parametrize(
    "demote",
    [
        pytest.param({"is_superuser": False}, id="no longer superuser"),
        pytest.param({"state": User.State.BLOCKED}, id="blocked"),
    ],
)
def test_view_as_is_ignored_once_not_an_administrator(client, administrator, shelf, demote):
    client.force_login(administrator)
    view_as(client, "group", Group.GUESTS)
    assert catalogue(client) == GUEST_CATALOGUE
    for field, value in demote.items():
        setattr(administrator, field, value)
    administrator.save()

    page = client.get(reverse("portal:products"))

    expected = DEVELOPER_CATALOGUE if demote.get("is_superuser") is False else GUEST_CATALOGUE
    assert set(shown_products(page)) == expected
    assert PREVIEW_BANNER not in page.content.decode()


def test_view_as_belongs_to_the_session(client, administrator, shelf):
    """Another administrator's session is not previewing."""
    client.force_login(administrator)
    view_as(client, "group", Group.GUESTS)
    other = Client()
    other.force_login(administrator)

    assert catalogue(other) == EVERYTHING
    assert catalogue(client) == GUEST_CATALOGUE


def test_view_as_a_group_named_with_a_nul_is_not_found(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("console:view_as"), {"kind": "group", "key": "part\x00ners"})
    assert response.status_code == 404
