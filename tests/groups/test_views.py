from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from groups import services
from groups.models import Group, Membership
from portal.models import User
from tests.console import REFUSED, assert_refused, count_queries, messages_of, sign_in_as

SYSTEM_GROUPS = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]

# Who is turned away from the console, and how: people the site doesn't know
# as signed in go to the sign-in page; signed-in non-administrators get 403.
GET_ROUTES = [
    "groups:list",
    "groups:create",
    "groups:detail",
    "groups:update",
    "groups:delete",
    "groups:members",
    "groups:add_members",
]
POST_ROUTES = [
    "groups:create",
    "groups:update",
    "groups:delete",
    "groups:add_members",
    "groups:remove_member",
]


@pytest.fixture
def custom_group(db):
    return services.create_group(
        name="partners", display_name="Partners", description="Partner companies"
    )


@pytest.fixture
def group_member(make_user, custom_group):
    member = make_user(email="member@example.com", first_name="Mia", last_name="Member")
    services.add_members(group=custom_group, users=[member], added_by=None)
    return member


@pytest.fixture
def outsider(make_user):
    return make_user(email="outsider@example.com", first_name="Otto", last_name="Outsider")


@pytest.fixture
def routes(custom_group, group_member, outsider):
    """URL arguments and a valid POST body for every console URL of the app."""
    name = custom_group.name
    return {
        "groups:list": ([], {}),
        "groups:create": ([], {"display_name": "Forged", "name": "forged", "description": ""}),
        "groups:detail": ([name], {}),
        "groups:update": (
            [name],
            {"display_name": "Forged", "description": "Forged", "version": custom_group.version},
        ),
        "groups:delete": ([name], {}),
        "groups:members": ([name], {}),
        "groups:add_members": ([name], {"pick": [outsider.pk]}),
        "groups:remove_member": ([name, group_member.pk], {}),
    }


def snapshot():
    """Everything a console write could change, in a comparable form."""
    return (
        sorted(Group.objects.values_list("name", "display_name", "description", "version")),
        sorted(Membership.objects.values_list("group__name", "user__email")),
        sorted(User.objects.values_list("email", "state")),
    )


def hidden_version(response):
    match = re.search(r'name="version" value="(\d+)"', response.content.decode())
    assert match, "the settings form has no version field"
    return int(match[1])


def settings_form_values(response):
    """What a browser would submit from the Settings page as rendered."""
    body = response.content.decode()
    name = re.search(r'<input[^>]*name="display_name"[^>]*>', body)[0]
    description = re.search(r'<textarea[^>]*name="description"[^>]*>(.*?)</textarea>', body, re.S)
    return {
        "display_name": html.unescape(re.search(r'value="([^"]*)"', name)[1]),
        "description": html.unescape(description[1]).removeprefix("\n"),
        "version": hidden_version(response),
    }


# Access


@pytest.mark.parametrize("route", GET_ROUTES)
@pytest.mark.parametrize(("who", "outcome"), REFUSED)
def test_group_pages_refuse_non_administrators(client, request, routes, route, who, outcome):
    args, _ = routes[route]
    url = reverse(route, args=args)
    sign_in_as(client, request, who)
    assert_refused(client.get(url), url, outcome)


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize(("who", "outcome"), REFUSED)
def test_group_writes_by_non_administrators_change_nothing(
    client, request, routes, route, who, outcome
):
    args, data = routes[route]
    url = reverse(route, args=args)
    sign_in_as(client, request, who)
    before = snapshot()
    assert_refused(client.post(url, data), url, outcome)
    assert snapshot() == before


@pytest.mark.parametrize("route", GET_ROUTES)
def test_group_pages_open_to_administrators(client, administrator, routes, route):
    args, _ = routes[route]
    client.force_login(administrator)
    assert client.get(reverse(route, args=args)).status_code == 200


@pytest.mark.parametrize("route", POST_ROUTES)
def test_group_writes_by_administrators_take_effect(client, administrator, routes, route):
    # The same bodies the refused requests send: proof that they would have
    # changed something had they been let through.
    args, data = routes[route]
    client.force_login(administrator)
    before = snapshot()
    assert client.post(reverse(route, args=args), data).status_code == 302
    assert snapshot() != before


def test_group_remove_member_asks_first(client, administrator, custom_group, group_member):
    client.force_login(administrator)
    url = reverse("groups:remove_member", args=[custom_group.name, group_member.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "Remove Mia Member from Partners?" in response.content.decode()
    assert custom_group.memberships.filter(user=group_member).exists()


def test_group_pages_of_an_unknown_group_are_404(client, administrator):
    client.force_login(administrator)
    for route in ["groups:detail", "groups:update", "groups:delete", "groups:members"]:
        assert client.get(reverse(route, args=["no-such-group"])).status_code == 404


# System groups


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_settings_post_is_refused(client, administrator, name):
    group = Group.objects.get(name=name)
    client.force_login(administrator)
    response = client.post(
        reverse("groups:update", args=[name]),
        {"display_name": "Renamed", "description": "Changed", "version": group.version},
    )
    assert response.status_code == 403
    after = Group.objects.get(name=name)
    assert (after.display_name, after.description, after.version) == (
        group.display_name,
        group.description,
        group.version,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_settings_page_is_read_only(client, administrator, name):
    client.force_login(administrator)
    response = client.get(reverse("groups:update", args=[name]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "is a built-in group" in body
    assert 'name="display_name"' not in body


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_delete_is_refused(client, administrator, name, method):
    client.force_login(administrator)
    response = getattr(client, method)(reverse("groups:delete", args=[name]))
    assert response.status_code == 403
    assert Group.objects.filter(name=name, type=Group.Type.SYSTEM).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_add_members_is_refused(client, administrator, developer, name):
    client.force_login(administrator)
    url = reverse("groups:add_members", args=[name])
    assert client.get(url).status_code == 403
    assert client.post(url, {"pick": [developer.pk, administrator.pk]}).status_code == 403
    assert not Membership.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_remove_member_is_refused(client, administrator, developer, name):
    client.force_login(administrator)
    url = reverse("groups:remove_member", args=[name, developer.pk])
    assert client.post(url).status_code == 403


def test_group_list_marks_system_groups_as_built_in(client, administrator, custom_group):
    client.force_login(administrator)
    body = client.get(reverse("groups:list")).content.decode()
    assert body.count('<span class="badge text-bg-secondary">Built-in</span>') == 3
    for phrase in ["All signed-in developers", "All administrators", "Anonymous visitors"]:
        assert phrase in body
    assert "Partners" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "partner"}, ["partners"]),
        ({"q": "COMPANIES"}, ["partners"]),
        ({"q": "built-in"}, ["administrators", "developers", "guests"]),
        ({"type": "system"}, ["administrators", "developers", "guests"]),
        ({"type": "custom"}, ["beta", "partners"]),
        ({"type": "custom", "sort": "-name"}, ["partners", "beta"]),
    ],
)
def test_group_list_search_filter_and_sort(client, administrator, custom_group, params, expected):
    services.create_group(name="beta", display_name="Beta testers")
    client.force_login(administrator)
    response = client.get(reverse("groups:list"), params)
    assert [group.name for group in response.context["page"]] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_page_has_no_delete_link(client, administrator, name):
    client.force_login(administrator)
    for route in ["groups:detail", "groups:update", "groups:members"]:
        body = client.get(reverse(route, args=[name])).content.decode()
        assert reverse("groups:delete", args=[name]) not in body
        assert "Built-in" in body


def test_custom_group_page_has_a_delete_link(client, administrator, custom_group):
    client.force_login(administrator)
    body = client.get(reverse("groups:detail", args=[custom_group.name])).content.decode()
    assert reverse("groups:delete", args=[custom_group.name]) in body


# Create


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


def test_group_create_refuses_a_proposed_id_that_is_taken(client, administrator, custom_group):
    client.force_login(administrator)
    response = post_create(client, display_name="Partners!")
    assert response.status_code == 200
    assert "“partners” is taken" in response.context["form"].errors["name"][0]
    assert Group.objects.custom().count() == 1


@pytest.mark.parametrize("display_name", ["PARTNERS", "partners", "Partners"])
def test_group_create_refuses_a_name_taken_in_any_case(
    client, administrator, custom_group, display_name
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
def test_group_create_refuses_an_id_taken_in_any_case(client, administrator, custom_group, name):
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


# Settings


def test_group_settings_save_the_changes(client, administrator, custom_group):
    client.force_login(administrator)
    url = reverse("groups:update", args=[custom_group.name])
    version = hidden_version(client.get(url))
    response = client.post(
        url,
        {"display_name": "Partner firms", "description": "Renamed", "version": version},
        follow=True,
    )
    assert response.redirect_chain == [(url, 302)]
    assert "Saved the settings of Partner firms." in messages_of(response)
    group = Group.objects.get(pk=custom_group.pk)
    assert (group.display_name, group.description, group.version) == (
        "Partner firms",
        "Renamed",
        version + 1,
    )


def test_group_settings_ignore_a_posted_id(client, administrator, custom_group):
    client.force_login(administrator)
    url = reverse("groups:update", args=[custom_group.name])
    response = client.post(
        url,
        {
            "name": "hijacked",
            "display_name": "Partners",
            "description": "Same",
            "version": custom_group.version,
        },
    )
    assert response.status_code == 302
    assert Group.objects.get(pk=custom_group.pk).name == "partners"
    assert not Group.objects.filter(name="hijacked").exists()


def test_group_settings_refuse_a_name_taken_in_another_case(client, administrator, custom_group):
    services.create_group(name="others", display_name="Others")
    client.force_login(administrator)
    response = client.post(
        reverse("groups:update", args=[custom_group.name]),
        {"display_name": "OTHERS", "description": "", "version": custom_group.version},
    )
    assert response.status_code == 200
    assert (
        "A group with this name already exists"
        in response.context["form"].errors["display_name"][0]
    )
    group = Group.objects.get(pk=custom_group.pk)
    assert (group.display_name, group.version) == ("Partners", custom_group.version)


def test_group_settings_allow_a_change_of_case_in_its_own_name(client, administrator, custom_group):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:update", args=[custom_group.name]),
        {"display_name": "PARTNERS", "description": "", "version": custom_group.version},
    )
    assert response.status_code == 302
    assert Group.objects.get(pk=custom_group.pk).display_name == "PARTNERS"


def test_group_settings_refused_save_keeps_the_saved_name_in_the_heading(
    client, administrator, custom_group
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:update", args=[custom_group.name]),
        {"display_name": "Renamed", "description": "d" * 1001, "version": custom_group.version},
    )
    assert response.status_code == 200
    assert "description" in response.context["form"].errors
    body = response.content.decode()
    # Nothing was saved, so the page must not title the group as renamed.
    assert re.search(r"<h1[^>]*>(.*?)</h1>", body)[1] == "Partners"
    assert "<title>Settings · Partners" in body
    assert 'value="Renamed"' in body
    assert Group.objects.get(pk=custom_group.pk).display_name == "Partners"


@pytest.fixture
def conflict(client, administrator, custom_group):
    """An administrator's Save that lost the race against another one's."""
    client.force_login(administrator)
    url = reverse("groups:update", args=[custom_group.name])
    version = hidden_version(client.get(url))
    services.update_group(
        group=custom_group,
        expected_version=version,
        display_name="Theirs",
        description="Their description",
    )
    response = client.post(
        url, {"display_name": "Mine", "description": "My description", "version": version}
    )
    return url, response


def test_group_settings_conflict_keeps_the_other_save(conflict, custom_group):
    _, response = conflict
    assert response.status_code == 200
    assert "Someone else saved this group" in response.content.decode()
    group = Group.objects.get(pk=custom_group.pk)
    assert (group.display_name, group.description, group.version) == (
        "Theirs",
        "Their description",
        2,
    )


def test_group_settings_conflict_shows_both_versions(conflict):
    _, response = conflict
    body = html.unescape(response.content.decode())
    assert "Name: Theirs" in body
    assert "Description: Their description" in body
    assert "Name: Mine" in body
    assert "Description: My description" in body


def test_group_settings_conflict_keeps_what_was_typed_in_the_form(conflict):
    _, response = conflict
    assert settings_form_values(response) == {
        "display_name": "Mine",
        "description": "My description",
        "version": 2,
    }


def test_group_settings_save_again_after_a_conflict_wins(client, conflict, custom_group):
    url, response = conflict
    # Press Save again: the browser sends the form exactly as rendered.
    again = client.post(url, settings_form_values(response))
    assert again.status_code == 302
    group = Group.objects.get(pk=custom_group.pk)
    assert (group.display_name, group.description, group.version) == (
        "Mine",
        "My description",
        3,
    )


# Delete


def test_group_delete_confirmation_names_the_member_count(
    client, administrator, custom_group, group_member, outsider
):
    services.add_members(group=custom_group, users=[outsider], added_by=administrator)
    client.force_login(administrator)
    body = client.get(reverse("groups:delete", args=[custom_group.name])).content.decode()
    assert "Delete the group Partners?" in body
    assert "2 memberships: 2 people are no longer in this group." in body


def test_group_delete_removes_the_group_and_memberships_not_the_users(
    client, administrator, custom_group, group_member, outsider
):
    services.add_members(group=custom_group, users=[outsider], added_by=administrator)
    others = services.create_group(name="others", display_name="Others")
    services.add_members(group=others, users=[outsider], added_by=administrator)
    client.force_login(administrator)
    response = client.post(reverse("groups:delete", args=[custom_group.name]), follow=True)
    assert response.redirect_chain == [(reverse("groups:list"), 302)]
    assert "Deleted the group Partners; 2 members lost the membership." in messages_of(response)
    assert not Group.objects.filter(name="partners").exists()
    assert not Membership.objects.filter(group_id=custom_group.pk).exists()
    assert User.objects.filter(pk__in=[group_member.pk, outsider.pk]).count() == 2
    assert others.memberships.filter(user=outsider).exists()


# Members


def test_group_members_list_shows_name_email_and_state(
    client, administrator, custom_group, group_member, make_user
):
    blocked = make_user(email="gone@example.com", state=User.State.BLOCKED)
    services.add_members(group=custom_group, users=[blocked], added_by=administrator)
    client.force_login(administrator)
    body = client.get(reverse("groups:members", args=[custom_group.name])).content.decode()
    assert "Mia Member" in body
    assert "member@example.com" in body
    assert "gone@example.com" in body
    assert body.count(">Blocked</span>") == 1
    assert body.count(">Active</span>") == 1
    assert reverse("groups:remove_member", args=[custom_group.name, blocked.pk]) in body


@pytest.mark.parametrize("query", ["member@example", "Mia", "MEMBER", "mia member"])
def test_group_members_search_filters_by_email_or_name(
    client, administrator, custom_group, group_member, outsider, query
):
    services.add_members(group=custom_group, users=[outsider], added_by=administrator)
    client.force_login(administrator)
    response = client.get(reverse("groups:members", args=[custom_group.name]), {"q": query})
    emails = [m.user.email for m in response.context["page"]]
    assert emails == ["member@example.com"]


def test_group_remove_member_removes_the_membership(
    client, administrator, custom_group, group_member
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:remove_member", args=[custom_group.name, group_member.pk]), follow=True
    )
    assert response.redirect_chain == [(reverse("groups:members", args=[custom_group.name]), 302)]
    assert "Removed Mia Member from Partners." in messages_of(response)
    assert not custom_group.memberships.exists()
    assert User.objects.filter(pk=group_member.pk).exists()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example.com/", "//evil.example.com/", "http://evil.example.com"]
)
def test_group_remove_member_refuses_an_off_site_next(
    client, administrator, custom_group, group_member, next_url
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:remove_member", args=[custom_group.name, group_member.pk]),
        {"next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("groups:members", args=[custom_group.name])


def test_group_remove_member_follows_a_local_next(
    client, administrator, custom_group, group_member
):
    client.force_login(administrator)
    back = reverse("console:user_detail", args=[group_member.pk])
    response = client.post(
        reverse("groups:remove_member", args=[custom_group.name, group_member.pk]),
        {"next": back},
    )
    assert response["Location"] == back


def test_group_add_members_picker_lists_and_searches_people(
    client, administrator, custom_group, outsider, developer
):
    client.force_login(administrator)
    url = reverse("groups:add_members", args=[custom_group.name])
    body = client.get(url).content.decode()
    for email in ["outsider@example.com", "dev@example.com", "root@example.com"]:
        assert email in body
    response = client.get(url, {"q": "otto"})
    assert [person.email for person in response.context["page"]] == ["outsider@example.com"]
    assert "dev@example.com" not in response.content.decode()


def test_group_add_members_picker_is_paginated(client, administrator, custom_group, make_user):
    for number in range(30):
        make_user(email=f"person{number:02}@example.com")
    client.force_login(administrator)
    url = reverse("groups:add_members", args=[custom_group.name])
    first = client.get(url)
    assert len(first.context["page"]) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(url, {"page": 2})
    assert second.context["page"].number == 2
    assert len(second.context["page"]) == 31 - 25
    emails = {p.email for p in first.context["page"]} | {p.email for p in second.context["page"]}
    assert len(emails) == 31


def test_group_add_members_picker_marks_existing_members(
    client, administrator, custom_group, group_member, outsider
):
    client.force_login(administrator)
    body = client.get(reverse("groups:add_members", args=[custom_group.name])).content.decode()
    member_box = re.search(rf'<input[^>]*id="pick-{group_member.pk}"[^>]*>', body)[0]
    assert "disabled" in member_box
    assert 'name="pick"' not in member_box
    assert f'id="taken-{group_member.pk}">Member</span>' in body
    outsider_box = re.search(rf'<input[^>]*id="pick-{outsider.pk}"[^>]*>', body)[0]
    assert "disabled" not in outsider_box
    assert f'value="{outsider.pk}"' in outsider_box
    assert f'id="taken-{outsider.pk}"' not in body


def test_group_add_members_adds_everyone_selected(client, administrator, custom_group, make_user):
    people = [make_user() for _ in range(3)]
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_members", args=[custom_group.name]),
        {"pick": [person.pk for person in people]},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("groups:members", args=[custom_group.name]), 302)]
    assert "Added 3 members to Partners." in messages_of(response)
    assert set(custom_group.memberships.values_list("user_id", flat=True)) == {
        person.pk for person in people
    }
    assert set(custom_group.memberships.values_list("added_by", flat=True)) == {administrator.pk}


def test_group_add_members_keeps_one_membership_for_an_existing_member(
    client, administrator, custom_group, group_member, outsider
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_members", args=[custom_group.name]),
        {"pick": [group_member.pk, outsider.pk]},
        follow=True,
    )
    assert "Added 1 member to Partners. 1 was already a member." in messages_of(response)
    assert custom_group.memberships.filter(user=group_member).count() == 1
    assert custom_group.memberships.count() == 2


def test_group_add_members_needs_a_choice(client, administrator, custom_group):
    client.force_login(administrator)
    response = client.post(reverse("groups:add_members", args=[custom_group.name]), {})
    assert response.status_code == 200
    assert "Choose at least one person" in response.content.decode()
    assert not custom_group.memberships.exists()


@pytest.mark.parametrize(
    "values",
    [["abc"], ["999999"], [""], ["-1"], ["1.5"], ["9" * 40], ["²"], ["1e3"], ["<b>"]],
    ids=[
        "letters",
        "unknown-id",
        "empty",
        "negative",
        "decimal",
        "huge",
        "superscript-two",
        "exponent",
        "html",
    ],
)
def test_group_add_members_ignores_garbage_ids(client, administrator, custom_group, values):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_members", args=[custom_group.name]), {"pick": values}
    )
    assert response.status_code == 200
    assert "Choose at least one person" in response.content.decode()
    assert not Membership.objects.exists()


def test_group_add_members_skips_unknown_ids_among_real_ones(
    client, administrator, custom_group, outsider
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_members", args=[custom_group.name]),
        {"pick": ["abc", "999999", str(outsider.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert any(text.startswith("Added 1 member to Partners.") for text in messages_of(response))
    assert list(custom_group.memberships.values_list("user_id", flat=True)) == [outsider.pk]


def test_group_added_member_shows_on_the_users_tab(client, administrator, custom_group, outsider):
    client.force_login(administrator)
    users_url = reverse("console:users")
    row = re.compile(r"<tr>(?:(?!</tr>).)*outsider@example\.com(?:(?!</tr>).)*</tr>", re.S)
    assert "Partners" not in row.search(client.get(users_url).content.decode())[0]
    client.post(reverse("groups:add_members", args=[custom_group.name]), {"pick": [outsider.pk]})
    cells = row.search(client.get(users_url).content.decode())[0]
    assert f'<a href="{custom_group.get_absolute_url()}">Partners</a>' in cells


# Query counts


def test_group_list_query_count_does_not_grow_with_rows(client, administrator):
    client.force_login(administrator)
    url = reverse("groups:list")
    Group.objects.bulk_create(
        Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
        for n in range(5)
    )
    few = count_queries(client, url)
    Group.objects.bulk_create(
        Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
        for n in range(5, 500)
    )
    many = count_queries(client, url)
    # Session, user, paginator COUNT, one page of groups with member_count
    # as a correlated subquery, and the menu's count of waiting subscriptions.
    assert few == many
    assert many <= 5


def test_group_members_query_count_does_not_grow_with_rows(client, administrator, custom_group):
    client.force_login(administrator)
    url = reverse("groups:members", args=[custom_group.name])

    def add_people(numbers):
        users = User.objects.bulk_create(
            User(email=f"bulk{n:03}@example.com", first_name="Bulk", last_name=str(n))
            for n in numbers
        )
        Membership.objects.bulk_create(
            Membership(group=custom_group, user=user, added_by=administrator) for user in users
        )

    add_people(range(5))
    few = count_queries(client, url)
    add_people(range(5, 500))
    many = count_queries(client, url)
    # Session, user, the group, paginator COUNT, one page of memberships
    # joined to their users, and the menu's count of waiting subscriptions.
    assert few == many
    assert many <= 6
