from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups import services as group_services
from groups.models import Group, Membership
from portal.models import User
from tests.conftest import TEST_PASSWORD
from tests.console import REFUSED, assert_refused, messages_of, sign_in_as

NEW_PASSWORD = "a-rather-unusual-passphrase-42"

# Who is turned away from the console, and how: people the site doesn't know
# as signed in go to the sign-in page; signed-in non-administrators get 403.
GET_ROUTES = [
    "console:users",
    "console:user_create",
    "console:user_detail",
    "console:user_add_groups",
]
POST_ROUTES = [
    "console:user_create",
    "console:user_add_groups",
    "console:user_block",
    "console:user_unblock",
]


@pytest.fixture
def custom_group(db):
    return group_services.create_group(name="partners", display_name="Partners")


@pytest.fixture
def other_group(db):
    return group_services.create_group(name="beta", display_name="Beta testers")


@pytest.fixture
def group_member(make_user, custom_group):
    member = make_user(email="member@example.com", first_name="Mia", last_name="Member")
    group_services.add_members(group=custom_group, users=[member], added_by=None)
    return member


@pytest.fixture
def routes(group_member, other_group, blocked_user):
    """URL arguments and a valid POST body for every console Users URL."""
    return {
        "console:users": ([], {}),
        "console:user_create": (
            [],
            {
                "email": "forged@example.com",
                "first_name": "Forged",
                "last_name": "Account",
                "password": NEW_PASSWORD,
                "note": "",
            },
        ),
        "console:user_detail": ([group_member.pk], {}),
        "console:user_add_groups": ([group_member.pk], {"pick": [other_group.name]}),
        "console:user_block": ([group_member.pk], {}),
        "console:user_unblock": ([blocked_user.pk], {}),
    }


def snapshot():
    """Everything a console write could change, in a comparable form."""
    return (
        sorted(User.objects.values_list("email", "state", "password", "is_superuser")),
        sorted(Membership.objects.values_list("group__name", "user__email")),
    )


def user_form(**overrides):
    return {
        "email": "new.person@example.com",
        "first_name": "New",
        "last_name": "Person",
        "password": NEW_PASSWORD,
        "note": "",
    } | overrides


# Access


@pytest.mark.parametrize("route", GET_ROUTES)
@pytest.mark.parametrize(("who", "outcome"), REFUSED)
def test_users_pages_refuse_non_administrators(client, request, routes, route, who, outcome):
    args, _ = routes[route]
    url = reverse(route, args=args)
    sign_in_as(client, request, who)
    assert_refused(client.get(url), url, outcome)


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize(("who", "outcome"), REFUSED)
def test_users_writes_by_non_administrators_change_nothing(
    client, request, routes, route, who, outcome
):
    args, data = routes[route]
    url = reverse(route, args=args)
    sign_in_as(client, request, who)
    before = snapshot()
    assert_refused(client.post(url, data), url, outcome)
    assert snapshot() == before


@pytest.mark.parametrize("route", GET_ROUTES)
def test_users_pages_open_to_administrators(client, administrator, routes, route):
    args, _ = routes[route]
    client.force_login(administrator)
    assert client.get(reverse(route, args=args)).status_code == 200


@pytest.mark.parametrize("route", POST_ROUTES)
def test_users_writes_by_administrators_take_effect(client, administrator, routes, route):
    # The same bodies the refused requests send: proof that they would have
    # changed something had they been let through.
    args, data = routes[route]
    client.force_login(administrator)
    before = snapshot()
    assert client.post(reverse(route, args=args), data).status_code == 302
    assert snapshot() != before


def test_users_unblock_refuses_get(client, administrator, blocked_user):
    client.force_login(administrator)
    assert client.get(reverse("console:user_unblock", args=[blocked_user.pk])).status_code == 405
    assert User.objects.get(pk=blocked_user.pk).state == User.State.BLOCKED


def test_users_block_asks_first(client, administrator, developer):
    client.force_login(administrator)
    response = client.get(reverse("console:user_block", args=[developer.pk]))
    assert response.status_code == 200
    assert "Block dev@example.com?" in response.content.decode()
    assert User.objects.get(pk=developer.pk).state == User.State.ACTIVE


def test_user_pages_of_an_unknown_user_are_404(client, administrator):
    client.force_login(administrator)
    for route in ["console:user_detail", "console:user_add_groups"]:
        assert client.get(reverse(route, args=[999999])).status_code == 404
    assert client.post(reverse("console:user_block", args=[999999])).status_code == 404


# List


@pytest.fixture
def people(make_user):
    return {
        "ada": make_user(email="ada@example.com", first_name="Ada", last_name="Lovelace"),
        "alan": make_user(email="alan@example.org", first_name="Alan", last_name="Turing"),
        "grace": make_user(
            email="grace@example.com",
            first_name="Grace",
            last_name="Hopper",
            state=User.State.BLOCKED,
        ),
        "linus": make_user(
            email="linus@example.net",
            first_name="Linus",
            last_name="Torvalds",
            state=User.State.PENDING,
        ),
    }


def emails_listed(response):
    return [person.email for person in response.context["page"]]


def test_user_list_shows_everyone_by_email(client, administrator, people):
    client.force_login(administrator)
    response = client.get(reverse("console:users"))
    assert emails_listed(response) == sorted(
        [p.email for p in people.values()] + [administrator.email]
    )
    body = response.content.decode()
    assert "Grace Hopper" in body
    assert ">Blocked</span>" in body
    assert ">Pending</span>" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada@", ["ada@example.com"]),
        ("example.org", ["alan@example.org"]),
        ("TURING", ["alan@example.org"]),
        ("grace hopper", ["grace@example.com"]),
        ("lovelace ada", ["ada@example.com"]),
        ("nobody-like-this", []),
    ],
)
def test_user_list_search(client, administrator, people, query, expected):
    client.force_login(administrator)
    response = client.get(reverse("console:users"), {"q": query})
    assert emails_listed(response) == expected
    if not expected:
        assert "No users match" in response.content.decode()


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("blocked", ["grace@example.com"]),
        ("pending", ["linus@example.net"]),
        ("active", ["ada@example.com", "alan@example.org", "root@example.com"]),
        ("bogus", None),
    ],
)
def test_user_list_filters_by_state(client, administrator, people, state, expected):
    client.force_login(administrator)
    response = client.get(reverse("console:users"), {"state": state})
    assert response.status_code == 200
    everyone = sorted([p.email for p in people.values()] + [administrator.email])
    assert emails_listed(response) == (everyone if expected is None else expected)


def test_user_list_combines_search_and_state(client, administrator, people):
    client.force_login(administrator)
    response = client.get(reverse("console:users"), {"q": "example.com", "state": "active"})
    assert emails_listed(response) == ["ada@example.com", "root@example.com"]


def test_user_list_shows_derived_and_stored_groups(
    client, administrator, group_member, blocked_user
):
    client.force_login(administrator)
    body = client.get(reverse("console:users")).content.decode()

    def row(email):
        return re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(email)}(?:(?!</tr>).)*</tr>", body, re.S)[
            0
        ]

    assert "Administrators, Developers" in row(administrator.email)
    assert "Developers" in row(group_member.email)
    assert "Administrators" not in row(group_member.email)
    assert ">Partners</a>" in row(group_member.email)
    assert "Guests" in row(blocked_user.email)
    assert "Developers" not in row(blocked_user.email)


# + Add


def test_user_create_with_a_password_lets_the_person_sign_in(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(), follow=True)
    person = User.objects.get(email="new.person@example.com")
    assert response.redirect_chain == [(reverse("console:user_detail", args=[person.pk]), 302)]
    assert any("Created the developer account" in text for text in messages_of(response))
    assert (person.first_name, person.last_name, person.state) == ("New", "Person", "active")
    assert not person.is_staff and not person.is_superuser
    assert person.has_usable_password()
    assert Client().login(username="new.person@example.com", password=NEW_PASSWORD)


def test_user_create_with_a_password_sends_no_email(
    client, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:user_create"), user_form())
    assert mailoutbox == []


def test_user_create_must_set_password_emails_a_working_link(
    client, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:user_create"),
            user_form(password="", must_set_password="on"),
            follow=True,
        )
    person = User.objects.get(email="new.person@example.com")
    assert not person.has_usable_password()
    assert any("An email with a link to set a password" in t for t in messages_of(response))

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["new.person@example.com"]
    link = re.search(r"https?://\S+/password/set/\S+/", email.body)[0]

    visitor = Client()
    page = visitor.get(urlsplit(link).path, follow=True)
    assert page.status_code == 200
    assert page.context["validlink"] is True
    form_url = page.redirect_chain[-1][0]
    done = visitor.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("portal:password_reset_complete")
    assert User.objects.get(pk=person.pk).has_usable_password()
    assert Client().login(username="new.person@example.com", password=NEW_PASSWORD)
    # The link works once.
    assert Client().get(urlsplit(link).path, follow=True).context["validlink"] is False


@pytest.mark.parametrize("email", ["DEV@example.com", "dev@EXAMPLE.COM", " dev@example.com "])
def test_user_create_refuses_an_email_taken_in_another_case(
    client, administrator, developer, email
):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(email=email))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.filter(email__iexact="dev@example.com").count() == 1


def test_user_create_needs_a_password_or_the_tick(client, administrator, mailoutbox):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(password=""))
    assert response.status_code == 200
    assert "Enter a password, or tick" in response.context["form"].errors["password"][0]
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert mailoutbox == []


def test_user_create_refuses_a_password_with_the_tick(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(must_set_password="on"))
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="new.person@example.com").exists()


@pytest.mark.parametrize("password", ["short", "12345678901", "password123"])
def test_user_create_refuses_a_weak_password(client, administrator, password):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(password=password))
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="new.person@example.com").exists()


def test_user_create_keeps_what_was_typed_after_an_error(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("console:user_create"),
        user_form(email="not-an-email", first_name="Zoë", note="Met at PyCon"),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="not-an-email"' in body
    assert 'value="Zoë"' in body
    assert "Met at PyCon</textarea>" in body


# User page


def test_user_detail_shows_the_derived_developers_group(client, administrator, group_member):
    client.force_login(administrator)
    response = client.get(reverse("console:user_detail", args=[group_member.pk]))
    body = response.content.decode()
    assert [g.name for g in response.context["derived_groups"]] == ["developers"]
    assert f'<a href="{reverse("groups:detail", args=["developers"])}">Developers</a>' in body
    assert reverse("groups:detail", args=["administrators"]) not in body
    assert f'<a href="{reverse("groups:detail", args=["partners"])}">Partners</a>' in body


def test_user_detail_shows_administrators_for_a_superuser(client, administrator):
    client.force_login(administrator)
    response = client.get(reverse("console:user_detail", args=[administrator.pk]))
    assert [g.name for g in response.context["derived_groups"]] == [
        "administrators",
        "developers",
    ]
    assert "Not in any custom group yet." in response.content.decode()


def test_user_detail_shows_guests_for_a_blocked_account(client, administrator, blocked_user):
    client.force_login(administrator)
    response = client.get(reverse("console:user_detail", args=[blocked_user.pk]))
    assert [g.name for g in response.context["derived_groups"]] == ["guests"]


def test_user_detail_remove_from_group_comes_back_to_the_user(
    client, administrator, group_member, custom_group
):
    client.force_login(administrator)
    page = client.get(reverse("console:user_detail", args=[group_member.pk])).content.decode()
    assert f'?next={group_member.get_absolute_url()}"' in page
    response = client.post(
        reverse("groups:remove_member", args=[custom_group.name, group_member.pk]),
        {"next": group_member.get_absolute_url()},
    )
    assert response["Location"] == group_member.get_absolute_url()
    assert not custom_group.memberships.exists()


# + Add to groups


def test_user_add_groups_picker_offers_custom_groups_only(
    client, administrator, group_member, custom_group, other_group
):
    client.force_login(administrator)
    response = client.get(reverse("console:user_add_groups", args=[group_member.pk]))
    offered = [group.name for group in response.context["page"]]
    assert offered == ["beta", "partners"]
    body = response.content.decode()
    for name in ["administrators", "developers", "guests"]:
        assert f'value="{name}"' not in body
    # Already a member of Partners: ticked and disabled.
    partners_box = re.search(rf'<input[^>]*id="pick-{custom_group.pk}"[^>]*>', body)[0]
    assert "disabled" in partners_box and 'name="group"' not in partners_box
    assert 'value="beta"' in body


def test_user_add_groups_picker_search(client, administrator, developer, other_group, custom_group):
    client.force_login(administrator)
    response = client.get(reverse("console:user_add_groups", args=[developer.pk]), {"q": "beta"})
    assert [group.name for group in response.context["page"]] == ["beta"]


def test_user_add_groups_adds_the_chosen_groups(
    client, administrator, developer, custom_group, other_group
):
    client.force_login(administrator)
    response = client.post(
        reverse("console:user_add_groups", args=[developer.pk]),
        {"pick": ["partners", "beta"]},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("console:user_detail", args=[developer.pk]), 302)]
    assert "Added Dev Eloper to Beta testers, Partners." in messages_of(response)
    assert set(developer.memberships.values_list("group__name", flat=True)) == {
        "partners",
        "beta",
    }
    assert set(developer.memberships.values_list("added_by", flat=True)) == {administrator.pk}


def test_user_add_groups_when_already_in_them(client, administrator, group_member, custom_group):
    client.force_login(administrator)
    response = client.post(
        reverse("console:user_add_groups", args=[group_member.pk]),
        {"pick": ["partners"]},
        follow=True,
    )
    assert "Mia Member was already in those groups." in messages_of(response)
    assert group_member.memberships.count() == 1


@pytest.mark.parametrize("chosen", [[], ["developers"], ["administrators", "guests"], ["nope"]])
def test_user_add_groups_refuses_system_unknown_or_no_groups(
    client, administrator, developer, custom_group, chosen
):
    client.force_login(administrator)
    response = client.post(
        reverse("console:user_add_groups", args=[developer.pk]), {"pick": chosen}
    )
    assert response.status_code == 200
    assert "Choose at least one group" in response.content.decode()
    assert not Membership.objects.exists()


# Block and unblock


def test_user_block_blocks_the_account(client, administrator, developer):
    client.force_login(administrator)
    response = client.post(reverse("console:user_block", args=[developer.pk]), follow=True)
    assert response.redirect_chain == [(reverse("console:user_detail", args=[developer.pk]), 302)]
    assert any(text.startswith("Blocked dev@example.com.") for text in messages_of(response))
    assert User.objects.get(pk=developer.pk).state == User.State.BLOCKED
    assert not Client().login(username="dev@example.com", password=TEST_PASSWORD)


def test_user_unblock_lets_the_person_sign_in_again(client, administrator, blocked_user):
    client.force_login(administrator)
    response = client.post(reverse("console:user_unblock", args=[blocked_user.pk]), follow=True)
    assert "Unblocked blocked@example.com. They can sign in now." in messages_of(response)
    assert User.objects.get(pk=blocked_user.pk).state == User.State.ACTIVE
    assert Client().login(username="blocked@example.com", password=TEST_PASSWORD)


def test_user_block_refuses_to_block_yourself(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("console:user_block", args=[administrator.pk]), follow=True)
    assert "You can't block your own account." in messages_of(response)
    assert User.objects.get(pk=administrator.pk).state == User.State.ACTIVE
    assert client.get(reverse("console:users")).status_code == 200


def test_user_detail_offers_no_block_button_on_your_own_page(client, administrator, developer):
    client.force_login(administrator)
    own = client.get(reverse("console:user_detail", args=[administrator.pk])).content.decode()
    assert reverse("console:user_block", args=[administrator.pk]) not in own
    other = client.get(reverse("console:user_detail", args=[developer.pk])).content.decode()
    assert reverse("console:user_block", args=[developer.pk]) in other


def test_user_block_ends_the_blocked_persons_session(client, administrator, developer):
    victim = Client()
    victim.force_login(developer)
    assert victim.get(reverse("portal:profile")).status_code == 200
    client.force_login(administrator)
    client.post(reverse("console:user_block", args=[developer.pk]))
    response = victim.get(reverse("portal:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_user_block_of_an_administrator_shuts_them_out_of_the_console(
    client, administrator, make_user
):
    colleague = make_user(email="other-admin@example.com", is_superuser=True, is_staff=True)
    colleague_client = Client()
    colleague_client.force_login(colleague)
    assert colleague_client.get(reverse("console:users")).status_code == 200
    client.force_login(administrator)
    client.post(reverse("console:user_block", args=[colleague.pk]))
    assert colleague_client.get(reverse("console:users")).status_code == 302


# Query counts


def test_user_list_query_count_does_not_grow_with_rows(client, administrator, custom_group):
    client.force_login(administrator)
    url = reverse("console:users")

    def add_people(numbers):
        users = User.objects.bulk_create(
            User(email=f"bulk{n:03}@example.com", first_name="Bulk", last_name=str(n))
            for n in numbers
        )
        Membership.objects.bulk_create(Membership(group=custom_group, user=u) for u in users)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add_people(range(5))
    few = count()
    add_people(range(5, 500))
    many = count()
    # Session, user, paginator COUNT, one page of users, one prefetch of
    # their memberships joined to the groups, and the menu's count of
    # waiting subscriptions.
    assert few == many
    assert many <= 6


def test_user_list_shows_every_group_of_a_person(client, administrator, group_member):
    extra = Group.objects.bulk_create(
        [
            Group(name=f"team-{n}", display_name=f"Team {n}", display_name_key=f"team {n}")
            for n in range(3)
        ]
    )
    Membership.objects.bulk_create(Membership(group=g, user=group_member) for g in extra)
    client.force_login(administrator)
    body = client.get(reverse("console:users")).content.decode()
    for name in ["Partners", "Team 0", "Team 1", "Team 2"]:
        assert f">{name}</a>" in body
