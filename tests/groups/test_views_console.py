"""The console's Groups tab: the list, a group's page, system groups, Settings, Delete."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from groups import services
from groups.models import Group, Membership
from portal.models import User
from products import services as product_services
from tests.conftest import hidden_version, messages_of, table_row

SYSTEM_GROUPS = [Group.ADMINISTRATORS, Group.DEVELOPERS, Group.GUESTS]


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


def test_group_pages_of_an_unknown_group_are_404(client, administrator):
    client.force_login(administrator)
    for route in ["groups:detail", "groups:update", "groups:delete", "groups:members"]:
        assert client.get(reverse(route, args=["no-such-group"])).status_code == 404


# The list


def test_group_list_marks_system_groups_as_built_in(client, administrator, partners):
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
def test_group_list_search_filter_and_sort(client, administrator, partners, beta, params, expected):
    client.force_login(administrator)
    response = client.get(reverse("groups:list"), params)
    assert [group.name for group in response.context["page"]] == expected


def test_group_list_counts_the_products_of_each_group(client, administrator, product, partners):
    product_services.create_product(name="billing", display_name="Billing", groups=[partners])
    product_services.create_product(name="internal", display_name="Internal")
    client.force_login(administrator)
    response = client.get(reverse("groups:list"))
    counts = {group.name: group.product_count for group in response.context["page"]}
    assert counts == {
        Group.ADMINISTRATORS: 3,
        Group.DEVELOPERS: 0,
        Group.GUESTS: 0,
        "partners": 2,
    }
    body = response.content.decode()
    row = table_row(body, ">partners</div>")
    assert re.search(r'<td class="text-end">\s*2\s*</td>\s*</tr>', row)


def test_group_list_queries_do_not_grow_with_rows(
    client, administrator, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_groups(numbers):
        Group.objects.bulk_create(
            Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
            for n in numbers
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the paginator's COUNT of the groups (capped)
    # 4. the ids of one page of groups
    # 5. those groups, with member_count and product_count as correlated subqueries
    # 6. the menu's badge of waiting approvals, read from the shared cache
    assert_queries_do_not_grow(reverse("groups:list"), add_groups, 6)


# A group's page


def test_group_page_lists_the_products_it_can_see(client, administrator, product, partners):
    billing = product_services.create_product(
        name="billing", display_name="Billing", groups=[partners]
    )
    product_services.create_product(name="internal", display_name="Internal")
    client.force_login(administrator)
    response = client.get(reverse("groups:detail", args=[partners.name]))
    assert [link.product.name for link in response.context["product_links"]] == [
        "billing",
        "payments",
    ]
    assert response.context["product_count"] == 2
    body = response.content.decode()
    assert f'<a href="{billing.get_absolute_url()}">Billing</a>' in body
    assert f'<a href="{product.get_absolute_url()}">Payments</a>' in body
    assert reverse("products:detail", args=["internal"]) not in body


def test_custom_group_page_has_a_delete_link(client, administrator, partners):
    client.force_login(administrator)
    body = client.get(reverse("groups:detail", args=[partners.name])).content.decode()
    assert reverse("groups:delete", args=[partners.name]) in body


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


@pytest.mark.django_db
@pytest.mark.parametrize("name", SYSTEM_GROUPS)
def test_system_group_page_has_no_delete_link(client, administrator, name):
    client.force_login(administrator)
    for route in ["groups:detail", "groups:update", "groups:members"]:
        body = client.get(reverse(route, args=[name])).content.decode()
        assert reverse("groups:delete", args=[name]) not in body
        assert "Built-in" in body


# Settings


def test_group_settings_save_the_changes(client, administrator, partners):
    client.force_login(administrator)
    url = reverse("groups:update", args=[partners.name])
    version = hidden_version(client.get(url))
    response = client.post(
        url,
        {"display_name": "Partner firms", "description": "Renamed", "version": version},
        follow=True,
    )
    assert response.redirect_chain == [(url, 302)]
    assert "Saved the settings of Partner firms." in messages_of(response)
    group = Group.objects.get(pk=partners.pk)
    assert (group.display_name, group.description, group.version) == (
        "Partner firms",
        "Renamed",
        version + 1,
    )


def test_group_settings_ignore_a_posted_id(client, administrator, partners):
    client.force_login(administrator)
    url = reverse("groups:update", args=[partners.name])
    response = client.post(
        url,
        {
            "name": "hijacked",
            "display_name": "Partners",
            "description": "Same",
            "version": partners.version,
        },
    )
    assert response.status_code == 302
    assert Group.objects.get(pk=partners.pk).name == "partners"
    assert not Group.objects.filter(name="hijacked").exists()


def test_group_settings_refuse_a_name_taken_in_another_case(
    client, administrator, partners, others
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:update", args=[partners.name]),
        {"display_name": "OTHERS", "description": "", "version": partners.version},
    )
    assert response.status_code == 200
    assert (
        "A group with this name already exists"
        in response.context["form"].errors["display_name"][0]
    )
    group = Group.objects.get(pk=partners.pk)
    assert (group.display_name, group.version) == ("Partners", partners.version)


def test_group_settings_allow_a_change_of_case_in_its_own_name(client, administrator, partners):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:update", args=[partners.name]),
        {"display_name": "PARTNERS", "description": "", "version": partners.version},
    )
    assert response.status_code == 302
    assert Group.objects.get(pk=partners.pk).display_name == "PARTNERS"


def test_group_settings_refused_save_keeps_the_saved_name_in_the_heading(
    client, administrator, partners
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:update", args=[partners.name]),
        {"display_name": "Renamed", "description": "d" * 1001, "version": partners.version},
    )
    assert response.status_code == 200
    assert "description" in response.context["form"].errors
    body = response.content.decode()
    # Nothing was saved, so the page must not title the group as renamed.
    assert re.search(r"<h1[^>]*>(.*?)</h1>", body)[1] == "Partners"
    assert "<title>Settings · Partners" in body
    assert 'value="Renamed"' in body
    assert Group.objects.get(pk=partners.pk).display_name == "Partners"


@pytest.fixture
def conflict(client, administrator, partners):
    """An administrator's Save that lost the race against another one's."""
    client.force_login(administrator)
    url = reverse("groups:update", args=[partners.name])
    version = hidden_version(client.get(url))
    services.update_group(
        group=partners,
        expected_version=version,
        display_name="Theirs",
        description="Their description",
    )
    response = client.post(
        url, {"display_name": "Mine", "description": "My description", "version": version}
    )
    return url, response


def test_group_settings_conflict_keeps_the_other_save(conflict, partners):
    _, response = conflict
    assert response.status_code == 200
    assert "Someone else saved this group" in response.content.decode()
    group = Group.objects.get(pk=partners.pk)
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


def test_group_settings_save_again_after_a_conflict_wins(client, conflict, partners):
    url, response = conflict
    # Press Save again: the browser sends the form exactly as rendered.
    again = client.post(url, settings_form_values(response))
    assert again.status_code == 302
    group = Group.objects.get(pk=partners.pk)
    assert (group.display_name, group.description, group.version) == (
        "Mine",
        "My description",
        3,
    )


# Delete


def test_group_delete_confirmation_names_the_member_count(
    client, administrator, partners, member, outsider
):
    services.add_members(group=partners, users=[outsider], added_by=administrator)
    client.force_login(administrator)
    body = client.get(reverse("groups:delete", args=[partners.name])).content.decode()
    assert "Delete the group Partners?" in body
    assert "2 memberships: 2 people are no longer in this group." in body


def test_group_delete_removes_the_group_and_memberships_not_the_users(
    client, administrator, partners, member, outsider, others
):
    services.add_members(group=partners, users=[outsider], added_by=administrator)
    services.add_members(group=others, users=[outsider], added_by=administrator)
    client.force_login(administrator)
    response = client.post(reverse("groups:delete", args=[partners.name]), follow=True)
    assert response.redirect_chain == [(reverse("groups:list"), 302)]
    assert "Deleted the group Partners; 2 members lost the membership." in messages_of(response)
    assert not Group.objects.filter(name="partners").exists()
    assert not Membership.objects.filter(group_id=partners.pk).exists()
    assert User.objects.filter(pk__in=[member.pk, outsider.pk]).count() == 2
    assert others.memberships.filter(user=outsider).exists()
