"""groups.admin: the Django admin goes through the same rules as the console."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission

from groups import services
from groups.models import Group, Membership, members_of
from portal.console import SECTION_ROWS
from portal.models import User
from subscriptions.models import Subscription


@pytest.mark.django_db
def test_membership_admin_refuses_system_groups(client, support_staff, developer):
    support_staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_membership", "view_membership", "view_group", "view_user"]
        )
    )
    client.force_login(support_staff)
    developers = Group.objects.get(name=Group.DEVELOPERS)
    response = client.post(
        "/admin/groups/membership/add/", {"user": developer.pk, "group": developers.pk}
    )
    assert response.status_code == 200
    assert "is a system group" in response.content.decode()
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_membership_admin_adds_to_custom_groups(client, support_staff, developer, partners):
    # The form picks people and groups by searching their pages, so it needs
    # sight of both.
    support_staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_membership", "view_membership", "view_user", "view_group"]
        )
    )
    client.force_login(support_staff)
    response = client.post(
        "/admin/groups/membership/add/", {"user": developer.pk, "group": partners.pk}
    )
    assert response.status_code == 302
    membership = Membership.objects.get()
    assert (membership.user, membership.group, membership.added_by) == (
        developer,
        partners,
        support_staff,
    )
    # The membership's history page shows who added it.
    history = client.get(f"/admin/groups/membership/{membership.pk}/history/")
    assert "staff@example.com" in history.text and "Added." in history.text


@pytest.mark.django_db
def test_membership_admin_search_finds_by_email(client, administrator, developer, partners):
    services.add_members(group=partners, users=[developer], added_by=administrator)
    client.force_login(administrator)
    response = client.get("/admin/groups/membership/", {"q": "dev@example"})
    assert "dev@example.com" in response.content.decode()


@pytest.mark.django_db
def test_support_staff_see_system_groups_read_only_in_the_admin(client, support_staff):
    support_staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_group", "change_group", "delete_group"])
    )
    client.force_login(support_staff)
    guests = Group.objects.get(name=Group.GUESTS)
    page = client.get(f"/admin/groups/group/{guests.pk}/change/")
    assert page.status_code == 200
    assert b'name="display_name"' not in page.content
    assert (
        client.post(f"/admin/groups/group/{guests.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    client.post(
        f"/admin/groups/group/{guests.pk}/change/",
        {"display_name": "Everyone", "description": "", "external_id": ""},
    )
    assert Group.objects.get(pk=guests.pk).display_name == "Guests"


@pytest.mark.django_db
def test_removing_a_membership_in_the_admin_applies_the_access_rule(
    client, administrator, subscription
):
    membership = Membership.objects.get(group__name="partners")
    client.force_login(administrator)
    response = client.post(f"/admin/groups/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.SUSPENDED
    assert subscription.state_comment == Subscription.ACCESS_REMOVED


@pytest.mark.django_db
def test_deleting_a_group_in_the_admin_applies_the_access_rule(client, administrator, subscription):
    group = Group.objects.get(name="partners")
    client.force_login(administrator)
    client.post(f"/admin/groups/group/{group.pk}/delete/", {"post": "yes"})
    assert not Group.objects.filter(name="partners").exists()
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.SUSPENDED


# IDs that name nothing: a word, a fraction, a number beyond 64 bits, one that
# fits but names no row; and a NUL, which Django's own check words.
FORGED_IDS = [
    ("abc", None),
    ("1.5", None),
    ("99999999999999999999999", None),
    ("987654321", None),
    ("\x00", "Null characters are not allowed."),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("forged", "says"), FORGED_IDS)
@pytest.mark.parametrize(
    ("field", "no_such"),
    [("user", "There is no such developer."), ("group", "There is no such group.")],
)
def test_membership_admin_refuses_an_id_that_names_nothing(
    client, support_staff, developer, partners, field, no_such, forged, says
):
    support_staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_membership", "view_membership", "view_user", "view_group"]
        )
    )
    client.force_login(support_staff)
    data = {"user": developer.pk, "group": partners.pk} | {field: forged}
    response = client.post("/admin/groups/membership/add/", data)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]
    # The error sits next to the field it is about.
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', response.text)
    assert errors and (says or no_such) in errors[1]
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_membership_admin_tells_administrators_there_is_no_such_person(
    client, administrator, partners
):
    client.force_login(administrator)
    response = client.post("/admin/groups/membership/add/", {"user": "abc", "group": partners.pk})
    assert response.context["adminform"].form.errors["user"] == [
        "There is no such person. Pick one from the list."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("forged", [forged for forged, _ in FORGED_IDS])
@pytest.mark.parametrize("field", ["user", "group"])
def test_membership_add_page_ignores_a_forged_initial_id(client, administrator, field, forged):
    client.force_login(administrator)
    response = client.get("/admin/groups/membership/add/", {field: forged})
    assert response.status_code == 200
    assert f'name="{field}"' in response.text


def grant(user: User, *codenames: str) -> User:
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    # A fresh copy: Django caches a user's permissions on the instance.
    return User.objects.get(pk=user.pk)


# Who asks, with which permissions, and what the membership pages answer.
MEMBERSHIP_PAGES_ACCESS = [
    ("anonymous", [], "login"),
    ("developer", [], "login"),  # not staff: the admin's sign-in page
    ("support_staff", [], 403),
    ("support_staff", ["view_membership"], 403),
    ("support_staff", ["view_membership", "view_user"], 403),
    ("support_staff", ["view_membership", "view_group"], 403),
    ("support_staff", ["view_membership", "view_user", "view_group"], 200),
    ("administrator", [], 200),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "codenames", "expected"), MEMBERSHIP_PAGES_ACCESS)
@pytest.mark.parametrize("which", ["list", "change"])
def test_membership_pages_are_for_people_who_see_both_ends(
    client, request, member, partners, who, codenames, expected, which
):
    if who != "anonymous":
        client.force_login(grant(request.getfixturevalue(who), *codenames))
    membership = Membership.objects.get(group=partners, user=member)
    url = {
        "list": "/admin/groups/membership/",
        "change": f"/admin/groups/membership/{membership.pk}/change/",
    }[which]
    response = client.get(url)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    else:
        assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "codenames",
    [
        ["add_membership", "view_membership"],
        ["add_membership", "view_membership", "view_user"],
        ["add_membership", "view_membership", "view_group"],
        ["view_membership", "view_user", "view_group"],  # view only
    ],
)
def test_adding_a_membership_needs_sight_of_people_and_groups(
    client, support_staff, developer, partners, codenames
):
    client.force_login(grant(support_staff, *codenames))
    response = client.post(
        "/admin/groups/membership/add/", {"user": developer.pk, "group": partners.pk}
    )
    assert response.status_code == 403
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_removing_a_membership_needs_sight_of_people_and_groups(client, support_staff, member):
    client.force_login(grant(support_staff, "view_membership", "delete_membership", "view_group"))
    membership = Membership.objects.get(user=member)
    response = client.post(f"/admin/groups/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


# A group's members, on its page


def members_section(page: str) -> str:
    found = re.search(r'<section class="module portico-section".*?</section>', page, re.S)
    assert found, "the page has no section"
    assert ">Members</h2>" in found[0]
    return found[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "codenames", "status"),
    [
        ("support_staff", [], 403),
        ("support_staff", ["view_user"], 403),
        ("support_staff", ["view_group"], 200),
        ("support_staff", ["view_group", "change_group"], 200),
        ("administrator", [], 200),
    ],
)
def test_a_groups_page_shows_its_members_to_whoever_may_view_it(
    client, request, member, partners, who, codenames, status
):
    client.force_login(grant(request.getfixturevalue(who), *codenames))
    response = client.get(f"/admin/groups/group/{partners.pk}/change/")
    assert response.status_code == status
    if status == 200:
        assert "dev@example.com" in members_section(response.text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("codenames", "linked"), [(["view_group"], False), (["view_group", "view_user"], True)]
)
def test_a_groups_members_link_to_their_pages_for_people_who_may_open_them(
    client, support_staff, member, partners, codenames, linked
):
    client.force_login(grant(support_staff, *codenames))
    section = members_section(client.get(f"/admin/groups/group/{partners.pk}/change/").text)
    assert (f'href="/admin/portal/user/{member.pk}/change/"' in section) is linked


def add_people(group: Group, numbers: range) -> None:
    users = User.objects.bulk_create(
        User(email=f"bulk{n:03}@example.com", first_name="Bulk", last_name=str(n)) for n in numbers
    )
    Membership.objects.bulk_create(Membership(group=group, user=user) for user in users)


@pytest.mark.django_db
@pytest.mark.parametrize(("list_permissions", "linked"), [([], False), (["view_membership"], True)])
def test_a_big_groups_page_shows_the_newest_members_and_links_to_the_rest(
    client, support_staff, partners, list_permissions, linked
):
    add_people(partners, range(SECTION_ROWS + 10))
    client.force_login(grant(support_staff, "view_group", "view_user", *list_permissions))
    section = members_section(client.get(f"/admin/groups/group/{partners.pk}/change/").text)
    assert section.count("<tr>") == 1 + SECTION_ROWS
    assert f"Showing {SECTION_ROWS} of {SECTION_ROWS + 10} members, newest first." in section
    more = re.search(rf'<a href="([^"]+)">See all {SECTION_ROWS + 10}</a>', section)
    assert bool(more) is linked
    if more:
        listed = client.get(more[1].replace("&amp;", "&"))
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == SECTION_ROWS + 10


@pytest.mark.django_db
def test_a_groups_page_queries_do_not_grow_with_its_members(
    client, support_staff, partners, assert_queries_do_not_grow
):
    client.force_login(grant(support_staff, "view_group", "view_user", "view_membership"))
    url = f"/admin/groups/group/{partners.pk}/change/"
    client.get(url)  # Django caches content types on first use.
    # 1. the session
    # 2. the signed-in user
    # 3. the group
    # 4. the signed-in user's permissions
    # 5. the permissions of their auth groups
    # 6. the newest memberships, joined to their people and who added them
    # 7. the COUNT of memberships
    assert_queries_do_not_grow(url, lambda numbers: add_people(partners, numbers), 7, many=200)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("group", "members", "filters"),
    [
        ("developers", ["root@example.com", "dev@example.com"], "state__exact=active"),
        ("administrators", ["root@example.com"], "is_superuser__exact=1&amp;state__exact=active"),
        ("guests", [], None),
    ],
)
def test_a_system_groups_page_shows_the_members_portico_works_out(
    client, request, administrator, developer, blocked_user, group, members, filters
):
    system_group = request.getfixturevalue(group)
    client.force_login(administrator)
    section = members_section(client.get(f"/admin/groups/group/{system_group.pk}/change/").text)
    assert "Built-in" in section
    shown = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', section)
    assert sorted(shown) == sorted(members)
    if not members:
        assert "never an account" in section


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("group", "superusers", "filters"),
    [
        ("developers", False, "state__exact=active"),
        ("administrators", True, "is_superuser__exact=1&state__exact=active"),
    ],
)
def test_a_big_system_groups_page_links_to_the_user_list_that_selects_them(
    client, request, administrator, developer, blocked_user, group, superusers, filters
):
    system_group = request.getfixturevalue(group)
    User.objects.bulk_create(
        User(email=f"bulk{n:03}@example.com", api_id=f"bulk{n:03}", is_superuser=superusers)
        for n in range(SECTION_ROWS)
    )
    User.objects.create_superuser("blocked-root@example.com", state=User.State.BLOCKED)
    client.force_login(administrator)
    section = members_section(client.get(f"/admin/groups/group/{system_group.pk}/change/").text)
    # The bulk accounts and the active accounts the fixtures made, not the blocked ones.
    total = members_of(system_group).count()
    assert total == SECTION_ROWS + (1 if superusers else 2)
    assert f"Showing {SECTION_ROWS} of {total} members." in section
    more = re.search(rf'<a href="([^"]+)">See all {total}</a>', section)
    assert more and more[1].replace("&amp;", "&").endswith(f"?{filters}")
    listed = client.get(more[1].replace("&amp;", "&"))
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == total


# Support staff change developers' memberships, not staff's or administrators'


@pytest.fixture
def membership_desk(support_staff: User) -> User:
    """Support staff who may add and remove memberships."""
    return grant(
        support_staff,
        "view_membership",
        "add_membership",
        "delete_membership",
        "view_user",
        "view_group",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("whom", ["membership_desk", "other_staff", "administrator"])
def test_support_staff_add_no_staff_or_administrators_to_groups(
    client, request, membership_desk, make_user, partners, whom
):
    """Themselves included: joining a group is being given the products it sees."""
    make_user(email="other@example.com", is_staff=True)
    person = (
        User.objects.get(email="other@example.com")
        if whom == "other_staff"
        else request.getfixturevalue(whom)
    )
    client.force_login(membership_desk)
    response = client.post(
        "/admin/groups/membership/add/", {"user": person.pk, "group": partners.pk}
    )
    assert response.status_code == 200
    assert (
        "only administrators add support staff"
        in response.context["adminform"].form.errors["user"][0]
    )
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_administrators_add_support_staff_to_groups(client, administrator, support_staff, partners):
    client.force_login(administrator)
    response = client.post(
        "/admin/groups/membership/add/", {"user": support_staff.pk, "group": partners.pk}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=support_staff, group=partners).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("whom", "status"), [("developer", 302), ("administrator", 403)])
def test_support_staff_remove_only_developers_from_groups(
    client, request, membership_desk, partners, whom, status
):
    person = request.getfixturevalue(whom)
    services.add_members(group=partners, users=[person], added_by=None)
    membership = Membership.objects.get(user=person)
    client.force_login(membership_desk)
    response = client.post(f"/admin/groups/membership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == status
    assert Membership.objects.filter(pk=membership.pk).exists() is (status == 403)


@pytest.mark.django_db
def test_support_staff_bulk_remove_no_administrator_from_groups(
    client, membership_desk, administrator, developer, partners
):
    services.add_members(group=partners, users=[administrator, developer], added_by=None)
    client.force_login(membership_desk)
    client.post(
        "/admin/groups/membership/",
        {
            "action": "delete_selected",
            "_selected_action": list(Membership.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert Membership.objects.count() == 2


@pytest.mark.django_db
def test_membership_admin_refuses_external_groups(client, administrator, developer, external):
    client.force_login(administrator)
    response = client.post(
        "/admin/groups/membership/add/", {"user": developer.pk, "group": external.pk}
    )
    assert response.status_code == 200
    assert "is an external group: its members come from the directory" in response.text
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_membership_admin_keeps_external_memberships(client, administrator, developer, external):
    services.add_directory_members(group=external, users=[developer], via="sign-in")
    membership = Membership.objects.get()
    client.force_login(administrator)
    assert client.get(f"/admin/groups/membership/{membership.pk}/delete/").status_code == 403
    assert client.post(f"/admin/groups/membership/{membership.pk}/delete/").status_code == 403
    # The bulk action deletes none of them either.
    client.post(
        "/admin/groups/membership/",
        {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
    )
    assert Membership.objects.filter(pk=membership.pk).exists()
    page = client.get(f"/admin/groups/group/{external.pk}/change/").text
    assert "From the directory, via sign-in on" in page
