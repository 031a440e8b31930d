"""The console's Groups tab: a group's Members, + Add members and Remove."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from groups import services
from groups.models import Membership
from portal.models import User
from tests.conftest import messages_of


def test_group_members_list_shows_name_email_and_state(
    client, administrator, partners, member, make_user
):
    blocked = make_user(email="gone@example.com", state=User.State.BLOCKED)
    services.add_members(group=partners, users=[blocked], added_by=administrator)
    client.force_login(administrator)
    body = client.get(reverse("groups:members", args=[partners.name])).content.decode()
    assert "Dev Eloper" in body
    assert "dev@example.com" in body
    assert "gone@example.com" in body
    assert body.count(">Blocked</span>") == 1
    assert body.count(">Active</span>") == 1
    assert reverse("groups:remove_member", args=[partners.name, blocked.pk]) in body


@pytest.mark.parametrize("query", ["dev@example", "Dev", "ELOPER", "dev eloper"])
def test_group_members_search_filters_by_email_or_name(
    client, administrator, partners, member, outsider, query
):
    services.add_members(group=partners, users=[outsider], added_by=administrator)
    client.force_login(administrator)
    response = client.get(reverse("groups:members", args=[partners.name]), {"q": query})
    emails = [m.user.email for m in response.context["page"]]
    assert emails == ["dev@example.com"]


def test_group_members_queries_do_not_grow_with_rows(
    client, administrator, partners, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_people(numbers):
        users = User.objects.bulk_create(
            User(email=f"bulk{n:03}@example.com", first_name="Bulk", last_name=str(n))
            for n in numbers
        )
        Membership.objects.bulk_create(
            Membership(group=partners, user=user, added_by=administrator) for user in users
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the group
    # 4. the paginator's COUNT of its memberships
    # 5. one page of memberships, joined to their users
    # 6. the menu's badge of waiting approvals, read from the shared cache
    url = reverse("groups:members", args=[partners.name])
    assert_queries_do_not_grow(url, add_people, 6)


# Remove


def test_group_remove_member_asks_first(client, administrator, partners, member):
    client.force_login(administrator)
    url = reverse("groups:remove_member", args=[partners.name, member.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "Remove Dev Eloper from Partners?" in response.content.decode()
    assert partners.memberships.filter(user=member).exists()


def test_group_remove_member_removes_the_membership(client, administrator, partners, member):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:remove_member", args=[partners.name, member.pk]), follow=True
    )
    assert response.redirect_chain == [(reverse("groups:members", args=[partners.name]), 302)]
    assert "Removed Dev Eloper from Partners." in messages_of(response)
    assert not partners.memberships.exists()
    assert User.objects.filter(pk=member.pk).exists()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example.com/", "//evil.example.com/", "http://evil.example.com"]
)
def test_group_remove_member_refuses_an_off_site_next(
    client, administrator, partners, member, next_url
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:remove_member", args=[partners.name, member.pk]),
        {"next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("groups:members", args=[partners.name])


def test_group_remove_member_follows_a_local_next(client, administrator, partners, member):
    client.force_login(administrator)
    back = reverse("console:user_detail", args=[member.pk])
    response = client.post(
        reverse("groups:remove_member", args=[partners.name, member.pk]),
        {"next": back},
    )
    assert response["Location"] == back


# + Add members


def test_group_add_members_picker_lists_and_searches_people(
    client, administrator, partners, outsider, developer
):
    client.force_login(administrator)
    url = reverse("groups:add_members", args=[partners.name])
    body = client.get(url).content.decode()
    for email in ["outsider@example.com", "dev@example.com", "root@example.com"]:
        assert email in body
    response = client.get(url, {"q": "otto"})
    assert [person.email for person in response.context["page"]] == ["outsider@example.com"]
    assert "dev@example.com" not in response.content.decode()


def test_group_add_members_picker_is_paginated(client, administrator, partners, make_user):
    for number in range(30):
        make_user(email=f"person{number:02}@example.com")
    client.force_login(administrator)
    url = reverse("groups:add_members", args=[partners.name])
    first = client.get(url)
    assert len(first.context["page"]) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(url, {"page": 2})
    assert second.context["page"].number == 2
    assert len(second.context["page"]) == 31 - 25
    emails = {p.email for p in first.context["page"]} | {p.email for p in second.context["page"]}
    assert len(emails) == 31


def test_group_add_members_picker_marks_existing_members(
    client, administrator, partners, member, outsider
):
    client.force_login(administrator)
    body = client.get(reverse("groups:add_members", args=[partners.name])).content.decode()
    member_box = re.search(rf'<input[^>]*id="pick-{member.pk}"[^>]*>', body)[0]
    assert "disabled" in member_box
    assert 'name="pick"' not in member_box
    assert f'id="taken-{member.pk}">Member</span>' in body
    outsider_box = re.search(rf'<input[^>]*id="pick-{outsider.pk}"[^>]*>', body)[0]
    assert "disabled" not in outsider_box
    assert f'value="{outsider.pk}"' in outsider_box
    assert f'id="taken-{outsider.pk}"' not in body


def test_group_add_members_adds_everyone_selected(client, administrator, partners, make_user):
    people = [make_user() for _ in range(3)]
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_members", args=[partners.name]),
        {"pick": [person.pk for person in people]},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("groups:members", args=[partners.name]), 302)]
    assert "Added 3 members to Partners." in messages_of(response)
    assert set(partners.memberships.values_list("user_id", flat=True)) == {
        person.pk for person in people
    }
    assert set(partners.memberships.values_list("added_by", flat=True)) == {administrator.pk}


def test_group_add_members_keeps_one_membership_for_an_existing_member(
    client, administrator, partners, member, outsider
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_members", args=[partners.name]),
        {"pick": [member.pk, outsider.pk]},
        follow=True,
    )
    assert "Added 1 member to Partners. 1 was already a member." in messages_of(response)
    assert partners.memberships.filter(user=member).count() == 1
    assert partners.memberships.count() == 2


def test_group_add_members_needs_a_choice(client, administrator, partners):
    client.force_login(administrator)
    response = client.post(reverse("groups:add_members", args=[partners.name]), {})
    assert response.status_code == 200
    assert "Choose at least one person" in response.content.decode()
    assert not partners.memberships.exists()


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
def test_group_add_members_ignores_garbage_ids(client, administrator, partners, values):
    client.force_login(administrator)
    response = client.post(reverse("groups:add_members", args=[partners.name]), {"pick": values})
    assert response.status_code == 200
    assert "Choose at least one person" in response.content.decode()
    assert not Membership.objects.exists()


def test_group_add_members_skips_unknown_ids_among_real_ones(
    client, administrator, partners, outsider
):
    client.force_login(administrator)
    response = client.post(
        reverse("groups:add_members", args=[partners.name]),
        {"pick": ["abc", "999999", str(outsider.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert any(text.startswith("Added 1 member to Partners.") for text in messages_of(response))
    assert list(partners.memberships.values_list("user_id", flat=True)) == [outsider.pk]


def test_group_added_member_shows_on_the_users_tab(client, administrator, partners, outsider):
    client.force_login(administrator)
    users_url = reverse("console:users")
    row = re.compile(r"<tr>(?:(?!</tr>).)*outsider@example\.com(?:(?!</tr>).)*</tr>", re.S)
    assert "Partners" not in row.search(client.get(users_url).content.decode())[0]
    client.post(reverse("groups:add_members", args=[partners.name]), {"pick": [outsider.pk]})
    cells = row.search(client.get(users_url).content.decode())[0]
    assert f'<a href="{partners.get_absolute_url()}">Partners</a>' in cells
