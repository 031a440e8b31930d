"""The console's Groups tab: + Add."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from groups import services
from groups.models import Group
from tests.conftest import messages_of


def post_create(client, **data):
    return client.post(
        reverse("groups:create"), {"display_name": "", "name": "", "description": ""} | data
    )


def test_group_create_redirects_to_the_list_with_a_message(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:create"),
        {"display_name": "Partner Team", "name": "partner-team", "description": "Our partners"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("groups:list"), 302)]
    group = Group.objects.get(name="partner-team")
    assert (group.display_name, group.description, group.type) == (
        "Partner Team",
        "Our partners",
        Group.Type.CUSTOM,
    )
    assert group.get_absolute_url() in response.content.decode()
    assert any("Created the group Partner Team" in text for text in messages_of(response))


@pytest.mark.parametrize(
    ("display_name", "proposed"),
    [
        ("Partner Team", "partner-team"),
        ("Café Crème", "cafe-creme"),
        ("  Beta -- Testers!  ", "beta-testers"),
        ("Équipe 東京 🚀", "equipe"),
    ],
)
def test_group_create_proposes_the_id_from_the_name(client, administrator, display_name, proposed):
    client.force_login(administrator)
    response = post_create(client, display_name=display_name)
    assert response.status_code == 302
    assert Group.objects.get(name=proposed).display_name == display_name.strip()


def test_group_create_needs_an_id_when_the_name_proposes_none(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="🚀🚀")
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not Group.objects.custom().exists()


def test_group_create_refuses_a_proposed_id_that_is_taken(client, administrator, partners):
    client.force_login(administrator)
    response = post_create(client, display_name="Partners!")
    assert response.status_code == 200
    assert "“partners” is taken" in response.context["form"].errors["name"][0]
    assert Group.objects.custom().count() == 1


@pytest.mark.parametrize("display_name", ["PARTNERS", "partners", "Partners"])
def test_group_create_refuses_a_name_taken_in_any_case(
    client, administrator, partners, display_name
):
    client.force_login(administrator)
    response = post_create(client, display_name=display_name, name="another-id")
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["display_name"][0]
    assert Group.objects.custom().count() == 1


def test_group_create_refuses_a_non_ascii_name_taken_in_another_case(client, administrator):
    services.create_group(name="cafe", display_name="Équipe Café")
    client.force_login(administrator)
    response = post_create(client, display_name="ÉQUIPE CAFÉ", name="cafe-2")
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["display_name"][0]
    assert list(Group.objects.custom().values_list("display_name", flat=True)) == ["Équipe Café"]


@pytest.mark.parametrize("name", ["PARTNERS", "Partners", "partners"])
def test_group_create_refuses_an_id_taken_in_any_case(client, administrator, partners, name):
    client.force_login(administrator)
    response = post_create(client, display_name="Another team", name=name)
    assert response.status_code == 200
    assert "is taken by another group" in response.context["form"].errors["name"][0]
    assert Group.objects.custom().count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "This field is required."),
        ({"display_name": "   "}, "display_name", "This field is required."),
        (
            {"display_name": "n" * 301},
            "display_name",
            "Ensure this value has at most 300 characters (it has 301).",
        ),
        (
            {"display_name": "Long ID", "name": "i" * 257},
            "name",
            "Ensure this value has at most 256 characters (it has 257).",
        ),
        (
            {"display_name": "Long text", "description": "d" * 1001},
            "description",
            "Ensure this value has at most 1000 characters (it has 1001).",
        ),
    ],
)
def test_group_create_refuses_missing_or_overlong_values(
    client, administrator, data, field, message
):
    client.force_login(administrator)
    response = post_create(client, **data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert message in html.unescape(response.content.decode())
    assert not Group.objects.custom().exists()


def test_group_create_accepts_the_longest_values(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="n" * 300, name="i" * 256, description="d" * 1000)
    assert response.status_code == 302
    assert Group.objects.filter(name="i" * 256).exists()


@pytest.mark.parametrize("name", ["a b", "x/y", "..", ".", "café", "a?b", "<b>"])
def test_group_create_refuses_invalid_id_characters(client, administrator, name):
    client.force_login(administrator)
    response = post_create(client, display_name="Valid name", name=name)
    assert response.status_code == 200
    assert "Use only letters, digits" in response.context["form"].errors["name"][0]
    assert not Group.objects.custom().exists()


@pytest.mark.parametrize("name", ["new", "NEW", "New"])
def test_group_create_refuses_a_reserved_id(client, administrator, name):
    client.force_login(administrator)
    response = post_create(client, display_name="Valid name", name=name)
    assert response.status_code == 200
    assert "is reserved" in response.context["form"].errors["name"][0]
    assert not Group.objects.custom().exists()


def test_group_create_refuses_a_name_proposing_a_reserved_id(client, administrator):
    client.force_login(administrator)
    response = post_create(client, display_name="New")
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not Group.objects.custom().exists()


def test_group_create_escapes_html_in_the_name(client, administrator):
    client.force_login(administrator)
    name = "<script>alert(1)</script>"
    response = post_create(client, display_name=name, name="xss", description=name)
    assert response.status_code == 302
    assert Group.objects.get(name="xss").display_name == name
    for url in [
        reverse("groups:list"),
        reverse("groups:detail", args=["xss"]),
        reverse("groups:update", args=["xss"]),
    ]:
        body = client.get(url).content.decode()
        assert "&lt;script&gt;" in body
        assert "<script>alert" not in body


def test_group_create_keeps_unicode_names(client, administrator):
    client.force_login(administrator)
    name = "Équipe 東京 🚀"
    response = post_create(client, display_name=name, description="Zoë’s team — 東京")
    assert response.status_code == 302
    group = Group.objects.get(display_name=name)
    assert group.name == "equipe"
    assert name in client.get(reverse("groups:list")).content.decode()
    assert "Zoë’s team — 東京" in client.get(group.get_absolute_url()).content.decode()


def test_group_create_keeps_what_was_typed_after_an_error(client, administrator):
    client.force_login(administrator)
    response = post_create(
        client, display_name="Keep Me", name="bad id", description="Typed & kept"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Keep Me"' in body
    assert 'value="bad id"' in body
    assert "Typed &amp; kept</textarea>" in body
