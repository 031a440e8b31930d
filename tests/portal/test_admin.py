"""portal.admin: the Django admin, for support staff and administrators."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from groups.models import Group, Membership
from portal.console import SECTION_ROWS
from portal.models import User
from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings
from tests.conftest import TEST_PASSWORD, fresh


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("developer", 302),  # the admin's own sign-in page, which says who may enter
        ("blocked_user", 302),
        ("support_staff", 200),
        ("administrator", 200),
    ],
)
def test_django_admin_access(client, request, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_support_staff_cannot_grant_roles_in_the_admin(client, support_staff, developer):
    support_staff.user_permissions.add(
        Permission.objects.get(codename="change_user"),
        Permission.objects.get(codename="view_user"),
    )
    client.force_login(support_staff)
    url = f"/admin/portal/user/{developer.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content
    client.post(
        url,
        {
            "email": developer.email,
            "first_name": "Dev",
            "last_name": "Eloper",
            "state": "active",
            "note": "",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    developer.refresh_from_db()
    assert not developer.is_superuser and not developer.is_staff


@pytest.mark.django_db
def test_support_staff_search_users_by_email_and_filter_by_state(client, support_staff, make_user):
    support_staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    make_user(email="findme@example.com")
    make_user(email="gone@example.com", state="blocked")
    client.force_login(support_staff)
    found = client.get("/admin/portal/user/", {"q": "findme"}).content
    assert b"findme@example.com" in found and b"gone@example.com" not in found
    blocked = client.get("/admin/portal/user/", {"state__exact": "blocked"}).content
    assert b"gone@example.com" in blocked and b"findme@example.com" not in blocked


@pytest.mark.django_db
def test_support_staff_cannot_take_an_account_over(client, support_staff, developer, make_user):
    grant(support_staff, "view_user", "change_user")
    other_staff = make_user(email="other-staff@example.com", is_staff=True)
    client.force_login(support_staff)
    # No password change for anyone else.
    url = f"/admin/portal/user/{developer.pk}/password/"
    assert client.get(url).status_code == 403
    # The email a reset would go to can't be changed.
    page = client.get(f"/admin/portal/user/{developer.pk}/change/").content.decode()
    assert 'name="email"' not in page
    # Other support staff are out of reach.
    assert (
        client.post(
            f"/admin/portal/user/{other_staff.pk}/change/", {"first_name": "Hacked"}
        ).status_code
        == 403
    )
    other_staff.refresh_from_db()
    assert other_staff.first_name != "Hacked"


@pytest.mark.django_db
def test_blocking_in_the_admin_applies_the_access_rule(
    client, administrator, developer, subscription
):
    client.force_login(administrator)
    client.post(
        f"/admin/portal/user/{developer.pk}/change/",
        {
            "email": developer.email,
            "first_name": developer.first_name,
            "last_name": developer.last_name,
            "note": "",
            "state": "blocked",
        },
    )
    developer.refresh_from_db()
    assert developer.state == "blocked"
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.SUSPENDED


def test_nobody_blocks_their_own_account_in_the_admin(client, administrator):
    client.force_login(administrator)
    page = client.get(f"/admin/portal/user/{administrator.pk}/change/").content.decode()
    assert 'name="state"' not in page
    client.post(
        f"/admin/portal/user/{administrator.pk}/change/",
        {
            "email": administrator.email,
            "first_name": "Ada",
            "last_name": "Admin",
            "note": "",
            "state": "blocked",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    administrator.refresh_from_db()
    assert administrator.state == "active"


@pytest.mark.django_db
@pytest.mark.parametrize("codenames", [["view_user"], ["view_user", "change_user"]])
def test_support_staff_get_no_password_button_they_cant_use(
    client, support_staff, developer, make_user, codenames
):
    grant(support_staff, *codenames)
    invited = make_user(password=None)
    client.force_login(support_staff)
    page = client.get(f"/admin/portal/user/{developer.pk}/change/").text
    assert "../password/" not in page and "Reset password" not in page
    assert "Set. Only administrators set other people" in page
    # Nor is the hash shown, even masked.
    assert "algorithm" not in page
    page = client.get(f"/admin/portal/user/{invited.pk}/change/").text
    assert "Set password" not in page
    assert "Not set yet" in page


@pytest.mark.django_db
def test_administrators_reset_passwords_from_the_user_page(client, administrator, developer):
    client.force_login(administrator)
    page = client.get(f"/admin/portal/user/{developer.pk}/change/").text
    assert 'href="../password/">Reset password</a>' in page
    assert client.get(f"/admin/portal/user/{developer.pk}/password/").status_code == 200


@pytest.mark.django_db
def test_the_notes_help_text_names_everyone_who_reads_it(client, support_staff, make_user):
    grant(support_staff, "view_user")
    person = make_user(note="Asked why Payments is missing")
    client.force_login(support_staff)
    page = client.get(f"/admin/portal/user/{person.pk}/change/").text
    # Support staff read the note, so the text beside it says so.
    assert "Asked why Payments is missing" in page
    assert "administrators only" not in page
    assert "support staff who may view users" in page


# A user's groups, on their page


def groups_section(page: str) -> str:
    found = re.search(r'<section class="module portico-section".*?</section>', page, re.S)
    assert found, "the page has no section"
    assert ">Groups</h2>" in found[0]
    return found[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "codenames", "status"),
    [
        ("support_staff", [], 403),
        ("support_staff", ["view_group"], 403),
        ("support_staff", ["view_user"], 200),
        ("support_staff", ["view_user", "change_user"], 200),
        ("administrator", [], 200),
    ],
)
def test_a_users_page_shows_their_groups_to_whoever_may_view_it(
    client, request, member, who, codenames, status
):
    viewer = request.getfixturevalue(who)
    grant(viewer, *codenames)
    client.force_login(viewer)
    response = client.get(f"/admin/portal/user/{member.pk}/change/")
    assert response.status_code == status
    if status == 200:
        section = groups_section(response.text)
        assert "Partners" in section and "Added" in section
        assert "Developers" in section and "Built-in: all signed-in developers" in section


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("codenames", "linked"), [(["view_user"], False), (["view_user", "view_group"], True)]
)
def test_a_users_groups_link_to_group_pages_for_people_who_may_open_them(
    client, support_staff, member, partners, codenames, linked
):
    grant(support_staff, *codenames)
    client.force_login(support_staff)
    section = groups_section(client.get(f"/admin/portal/user/{member.pk}/change/").text)
    assert (f'href="/admin/groups/group/{partners.pk}/change/"' in section) is linked


@pytest.mark.django_db
def test_a_blocked_users_groups_say_they_see_what_visitors_see(
    client, administrator, member, partners
):
    member.state = User.State.BLOCKED
    member.save()
    client.force_login(administrator)
    section = groups_section(client.get(f"/admin/portal/user/{member.pk}/change/").text)
    assert "Guests" in section and "Built-in: anonymous visitors" in section
    assert "Developers" not in section
    assert "Partners" in section  # kept, for when they are unblocked


def add_groups(person: User, numbers: range) -> None:
    groups = Group.objects.bulk_create(
        Group(name=f"team-{n:03}", display_name=f"Team {n:03}", display_name_key=f"team {n:03}")
        for n in numbers
    )
    Membership.objects.bulk_create(Membership(group=group, user=person) for group in groups)


@pytest.mark.django_db
def test_a_users_page_shows_the_first_groups_and_links_to_the_rest(
    client, support_staff, developer
):
    add_groups(developer, range(SECTION_ROWS + 5))
    grant(support_staff, "view_user", "view_group", "view_membership")
    client.force_login(support_staff)
    section = groups_section(client.get(f"/admin/portal/user/{developer.pk}/change/").text)
    # Developers, then the first groups by name.
    assert section.count("<tr>") == 1 + 1 + SECTION_ROWS
    assert f"Team {SECTION_ROWS - 1:03}" in section and f"Team {SECTION_ROWS:03}" not in section
    assert f"Showing {SECTION_ROWS + 1} of {SECTION_ROWS + 6} groups." in section
    more = re.search(rf'<a href="([^"]+)">See all {SECTION_ROWS + 5} memberships</a>', section)
    assert more
    listed = client.get(more[1].replace("&amp;", "&"))
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == SECTION_ROWS + 5


@pytest.mark.django_db
def test_a_users_groups_link_to_the_list_only_for_people_who_may_open_it(
    client, support_staff, developer
):
    add_groups(developer, range(SECTION_ROWS + 5))
    grant(support_staff, "view_user", "view_group")
    client.force_login(support_staff)
    section = groups_section(client.get(f"/admin/portal/user/{developer.pk}/change/").text)
    assert "Showing" in section and "See all" not in section


@pytest.mark.django_db
def test_a_users_page_queries_do_not_grow_with_their_groups(
    client, support_staff, developer, assert_queries_do_not_grow
):
    grant(support_staff, "view_user", "view_group", "view_membership")
    client.force_login(support_staff)
    url = f"/admin/portal/user/{developer.pk}/change/"
    client.get(url)  # Django caches content types on first use.
    # 1. the session
    # 2. the signed-in user
    # 3. the person
    # 4. the signed-in user's permissions
    # 5. the permissions of their auth groups
    # 6. the system groups the person is in
    # 7. the first stored memberships, joined to their groups and who added them
    # 8. the COUNT of stored memberships
    # 9. the person's own permissions, shown read-only
    assert_queries_do_not_grow(url, lambda numbers: add_groups(developer, numbers), 9, many=120)


# Demotion


@pytest.fixture
def colleague_on_internal_tools(make_product):
    """A second administrator, subscribed to a product shared with no group."""
    colleague = User.objects.create_superuser(
        "colleague@example.com", TEST_PASSWORD, first_name="Col", last_name="League"
    )
    internal = make_product("Internal Tools", groups=[])
    subscription = subscription_services.subscribe(
        developer=colleague, product=internal, display_name="Ops"
    )
    assert subscription.state == Subscription.State.ACTIVE
    return colleague, subscription


def key_check(client, subscription):
    return client.get(
        reverse("gateway_check"),
        headers={
            "Ocp-Apim-Subscription-Key": subscription.primary_secret,
            "X-Product": "internal-tools",
        },
    )


def untick_superuser(client, administrator, person):
    client.force_login(administrator)
    response = client.post(
        f"/admin/portal/user/{person.pk}/change/",
        {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "note": "",
            "state": "active",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()


@pytest.mark.django_db
def test_demoting_an_administrator_in_the_admin_closes_what_only_administrators_see(
    client, administrator, colleague_on_internal_tools
):
    colleague, subscription = colleague_on_internal_tools
    access_loss = SubscriptionSettings.load()
    access_loss.on_access_loss = SubscriptionSettings.AccessLoss.SUSPEND
    access_loss.save()
    assert key_check(client, subscription).status_code == 204
    untick_superuser(client, administrator, colleague)
    assert not fresh(colleague).is_superuser
    answer = key_check(client, subscription)
    assert answer.status_code == 403
    assert answer["X-Portico-Reason"] == "subscription suspended"
    row = fresh(subscription)
    assert (row.state, row.state_comment, row.suspended_for_access) == (
        Subscription.State.SUSPENDED,
        Subscription.ACCESS_REMOVED,
        True,
    )


@pytest.mark.django_db
def test_demoting_an_administrator_keeps_the_subscription_when_the_console_says_keep(
    client, administrator, colleague_on_internal_tools
):
    colleague, subscription = colleague_on_internal_tools
    access_loss = SubscriptionSettings.load()
    access_loss.on_access_loss = SubscriptionSettings.AccessLoss.KEEP
    access_loss.save()
    untick_superuser(client, administrator, colleague)
    assert not fresh(colleague).is_superuser
    assert fresh(subscription).state == Subscription.State.ACTIVE
    assert key_check(client, subscription).status_code == 204
