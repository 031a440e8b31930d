"""The console's Users tab: the list, a person's page, + Add to groups, Block and Unblock."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from groups import services as group_services
from groups.models import Group, Membership
from portal.console import SECTION_ROWS
from portal.models import User
from products.models import Product
from tests.conftest import (
    TEST_PASSWORD,
    messages_of,
    signs_in,
    table_row,
)


def test_user_pages_of_an_unknown_user_are_404(client, administrator):
    client.force_login(administrator)
    for route in ["console:user_detail", "console:user_add_groups"]:
        assert client.get(reverse(route, args=[999999])).status_code == 404
    assert client.post(reverse("console:user_block", args=[999999])).status_code == 404


# The list


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


def test_user_list_shows_derived_and_stored_groups(client, administrator, member, blocked_user):
    client.force_login(administrator)
    body = client.get(reverse("console:users")).content.decode()

    def row(email):
        return table_row(body, email)

    assert "Administrators, Developers" in row(administrator.email)
    assert "Developers" in row(member.email)
    assert "Administrators" not in row(member.email)
    assert ">Partners</a>" in row(member.email)
    assert "Guests" in row(blocked_user.email)
    assert "Developers" not in row(blocked_user.email)


def test_user_list_shows_every_group_of_a_person(client, administrator, member):
    extra = Group.objects.bulk_create(
        [
            Group(name=f"team-{n}", display_name=f"Team {n}", display_name_key=f"team {n}")
            for n in range(3)
        ]
    )
    Membership.objects.bulk_create(Membership(group=g, user=member) for g in extra)
    client.force_login(administrator)
    body = client.get(reverse("console:users")).content.decode()
    for name in ["Partners", "Team 0", "Team 1", "Team 2"]:
        assert f">{name}</a>" in body


def test_user_list_links_each_group_escaped_in_name_order(client, administrator, member):
    tricky = Group.objects.bulk_create(
        [
            Group(name="z-team", display_name="A <b>&</b> team", display_name_key="a team"),
            Group(name="a-team", display_name="Zulu's", display_name_key="zulu's"),
        ]
    )
    Membership.objects.bulk_create(Membership(group=g, user=member) for g in tricky)
    client.force_login(administrator)
    row = table_row(client.get(reverse("console:users")).content.decode(), member.email)

    def link(name):
        return reverse("groups:detail", args=[name])

    assert (
        f'Developers, <a href="{link("z-team")}">A &lt;b&gt;&amp;&lt;/b&gt; team</a>'
        f', <a href="{link("partners")}">Partners</a>'
        f', <a href="{link("a-team")}">Zulu&#x27;s</a>'
    ) in row


def test_user_list_queries_do_not_grow_with_rows(
    client, administrator, partners, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_people(numbers):
        users = User.objects.bulk_create(
            User(email=f"bulk{n:03}@example.com", first_name="Bulk", last_name=str(n))
            for n in numbers
        )
        Membership.objects.bulk_create(Membership(group=partners, user=u) for u in users)

    # 1. the session
    # 2. the signed-in user
    # 3. the paginator's COUNT of the users
    # 4. one page of users
    # 5. the page's memberships, as (person, group ID, group name) rows
    # 6. the menu's badge of waiting approvals, read from the shared cache
    assert_queries_do_not_grow(reverse("console:users"), add_people, 6)


# A person's page


def test_user_detail_shows_the_derived_developers_group(client, administrator, member):
    client.force_login(administrator)
    response = client.get(reverse("console:user_detail", args=[member.pk]))
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
    client, administrator, member, partners
):
    client.force_login(administrator)
    page = client.get(reverse("console:user_detail", args=[member.pk])).content.decode()
    assert f'?next={member.get_absolute_url()}"' in page
    response = client.post(
        reverse("groups:remove_member", args=[partners.name, member.pk]),
        {"next": member.get_absolute_url()},
    )
    assert response["Location"] == member.get_absolute_url()
    assert not partners.memberships.exists()


def sees_rows(response):
    """(product ID, "via ...") for each row of "What this user sees"."""
    content = response.content.decode()
    section = content.split("What this user sees", 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<a href="/console/products/([^/]+)/">[^<]*</a>.*?</th>\s*<td class="small">(.*?)</td>',
        section,
        flags=re.S,
    )
    explained = {}
    for name, cell in rows:
        groups = [html.unescape(group.strip()) for group in re.findall(r"via ([^<(]+)", cell)]
        explained[name] = "via " + ", ".join(groups) if groups else " ".join(cell.split())
    return explained


def test_user_detail_explains_what_they_see(
    client, administrator, make_user, make_product, guests, developers, partners, beta
):
    person = make_user(email="pat@example.com")
    group_services.add_members(group=partners, users=[person], added_by=None)
    group_services.add_members(group=beta, users=[person], added_by=None)
    make_product("Payments", groups=[developers])
    make_product("Deals", groups=[partners, beta, developers, guests])
    make_product("Beta Maps", groups=[beta])
    make_product("Visitors", groups=[guests])
    make_product("Draft", groups=[partners], state=Product.State.NOT_PUBLISHED)
    client.force_login(administrator)

    response = client.get(reverse("console:user_detail", args=[person.pk]))

    assert response.status_code == 200
    assert sees_rows(response) == {
        "payments": "via Developers",
        "deals": "via Beta testers, Developers, Partners",
        "beta-maps": "via Beta testers",
    }
    # Since when, and who granted it: the group's access and the person's membership.
    assert "the group has seen it since" in response.content.decode()
    assert "member since" in response.content.decode()


def test_user_detail_of_a_blocked_member_explains_the_guest_view(
    client, administrator, blocked_user, make_product, guests, developers, partners
):
    group_services.add_members(group=partners, users=[blocked_user], added_by=None)
    make_product("Deals", groups=[partners, guests])
    make_product("Payments", groups=[developers])
    client.force_login(administrator)

    response = client.get(reverse("console:user_detail", args=[blocked_user.pk]))

    assert sees_rows(response) == {"deals": "via Guests"}
    assert "sees only what visitors see" in response.content.decode()


def test_user_detail_of_an_administrator_explains_what_they_see(
    client, administrator, make_product, developers
):
    make_product("Payments", groups=[developers])
    make_product("Draft", groups=[])
    client.force_login(administrator)

    response = client.get(reverse("console:user_detail", args=[administrator.pk]))

    assert sees_rows(response) == {
        "payments": "via Administrators, Developers",
        "draft": "via Administrators",
    }
    assert "Administrators see every product, published or not." in response.content.decode()


def test_user_detail_counts_what_they_see_only_past_a_full_section(
    client, administrator, member, make_product, developers, django_assert_max_num_queries
):
    for n in range(SECTION_ROWS + 2):
        make_product(f"Product {n:02}", groups=[developers])
    client.force_login(administrator)
    url = reverse("console:user_detail", args=[member.pk])
    client.get(url)  # the menu's badge, cached after the first read

    # 1. the session
    # 2. the signed-in user
    # 3. the person
    # 4. their memberships, with each group, adder and rule
    # 5. their groups' ids, for visible_to
    # 6. their groups' ids, for with_granting_links
    # 7. a section of the products they see
    # 8. the links through which they see them, with each group
    # 9. the count of the products they see (the section is full)
    # 10. the sign-in pause
    # 11. the menu's badge, from the shared cache
    # 12. their subscriptions
    # 13. their History: the latest records about them (links to them need no query)
    with django_assert_max_num_queries(13):
        response = client.get(url)
    assert len(response.context["seen"]) == SECTION_ROWS
    assert f"Showing {SECTION_ROWS} of {SECTION_ROWS + 2}." in response.content.decode()

    Product.objects.filter(display_name__gte="Product 02").delete()
    with django_assert_max_num_queries(12):  # no count: the two rows are all of them
        response = client.get(url)
    assert response.context["seen_count"] == 2
    assert "Showing" not in response.content.decode()


def test_user_detail_links_each_row_as_reverse_does(client, administrator, member, partners):
    client.force_login(administrator)
    body = client.get(reverse("console:user_detail", args=[member.pk])).content.decode()
    remove = reverse("groups:remove_member", args=[partners.name, member.pk])
    assert f'href="{remove}?next={member.get_absolute_url()}"' in body
    group = reverse("groups:detail", args=[partners.name])
    assert f'<a href="{group}">Partners</a>' in body


# + Add to groups


def test_user_add_groups_picker_offers_custom_groups_only(
    client, administrator, member, partners, beta
):
    client.force_login(administrator)
    response = client.get(reverse("console:user_add_groups", args=[member.pk]))
    offered = [group.name for group in response.context["page"]]
    assert offered == ["beta", "partners"]
    body = response.content.decode()
    for name in ["administrators", "developers", "guests"]:
        assert f'value="{name}"' not in body
    # Already a member of Partners: ticked and disabled.
    partners_box = re.search(rf'<input[^>]*id="pick-{partners.pk}"[^>]*>', body)[0]
    assert "disabled" in partners_box and 'name="group"' not in partners_box
    assert 'value="beta"' in body


def test_user_add_groups_picker_search(client, administrator, developer, beta, partners):
    client.force_login(administrator)
    response = client.get(reverse("console:user_add_groups", args=[developer.pk]), {"q": "beta"})
    assert [group.name for group in response.context["page"]] == ["beta"]


def test_user_add_groups_adds_the_chosen_groups(client, administrator, developer, partners, beta):
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


def test_user_add_groups_when_already_in_them(client, administrator, member, partners):
    client.force_login(administrator)
    response = client.post(
        reverse("console:user_add_groups", args=[member.pk]),
        {"pick": ["partners"]},
        follow=True,
    )
    assert "Dev Eloper was already in those groups." in messages_of(response)
    assert member.memberships.count() == 1


@pytest.mark.parametrize("chosen", [[], ["developers"], ["administrators", "guests"], ["nope"]])
def test_user_add_groups_refuses_system_unknown_or_no_groups(
    client, administrator, developer, partners, chosen
):
    client.force_login(administrator)
    response = client.post(
        reverse("console:user_add_groups", args=[developer.pk]), {"pick": chosen}
    )
    assert response.status_code == 200
    assert "Choose at least one group" in response.content.decode()
    assert not Membership.objects.exists()


# Block and unblock


def test_user_block_asks_first(client, administrator, developer):
    client.force_login(administrator)
    response = client.get(reverse("console:user_block", args=[developer.pk]))
    assert response.status_code == 200
    assert "Block dev@example.com?" in response.content.decode()
    assert User.objects.get(pk=developer.pk).state == User.State.ACTIVE


def test_user_block_blocks_the_account(client, administrator, developer):
    client.force_login(administrator)
    response = client.post(reverse("console:user_block", args=[developer.pk]), follow=True)
    assert response.redirect_chain == [(reverse("console:user_detail", args=[developer.pk]), 302)]
    assert any(text.startswith("Blocked dev@example.com.") for text in messages_of(response))
    assert User.objects.get(pk=developer.pk).state == User.State.BLOCKED
    assert not signs_in("dev@example.com", TEST_PASSWORD)


def test_user_unblock_lets_the_person_sign_in_again(client, administrator, blocked_user):
    client.force_login(administrator)
    response = client.post(reverse("console:user_unblock", args=[blocked_user.pk]), follow=True)
    assert "Unblocked blocked@example.com. They can sign in now." in messages_of(response)
    assert User.objects.get(pk=blocked_user.pk).state == User.State.ACTIVE
    assert signs_in("blocked@example.com", TEST_PASSWORD)


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
