"""The developer portal's catalogue and a product's page: what the visitor may see."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils.html import escape

from groups.models import Group, Membership
from portal.models import User
from products.models import Product, ProductGroup
from tests.conftest import (
    DEVELOPER_CATALOGUE,
    EVERYTHING,
    GUEST_CATALOGUE,
    PARTNER_CATALOGUE,
    catalogue,
    normalised,
    normalised_headers,
    shown_products,
)

PUBLISHED = Product.State.PUBLISHED


NOT_PUBLISHED = Product.State.NOT_PUBLISHED


# The catalogue


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", GUEST_CATALOGUE),
        ("developer", DEVELOPER_CATALOGUE),
        ("support_staff", DEVELOPER_CATALOGUE),
        ("member", PARTNER_CATALOGUE),
        ("administrator", EVERYTHING),
    ],
)
def test_catalogue_lists_exactly_the_visible_products(client, shelf, who, expected, sign_in_as):
    sign_in_as(who)

    response = client.get(reverse("portal:products"))

    names = shown_products(response)
    assert len(names) == len(set(names))
    assert set(names) == expected
    assert response.context["page"].paginator.count == len(expected)


def test_catalogue_says_so_when_nothing_is_visible(client, developer, make_product, partners):
    make_product("Partner Deals", groups=[partners])
    client.force_login(developer)

    response = client.get(reverse("portal:products"))

    assert shown_products(response) == []
    assert "No API products are published for your groups yet" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("payments", {"payments-api"}),
        ("PAYMENTS", {"payments-api"}),  # case does not matter
        ("geo-", {"geo-maps"}),  # the product's ID
        ("routes", {"geo-maps"}),  # its description
        ("  routes  ", {"geo-maps"}),
        ("", {"payments-api", "geo-maps", "weather"}),
        # LIKE's wildcards are searched for, not obeyed.
        ("%", set()),
        ("_", set()),
        ("pay%api", set()),
    ],
)
def test_catalogue_search(client, developer, make_product, developers, partners, query, expected):
    make_product("Payments API", groups=[developers], description="Move money.")
    make_product("Maps", name="geo-maps", groups=[developers], description="Tiles and routes.")
    make_product("Weather", groups=[developers])
    # Matches every query above but is not the developer's to see.
    make_product(
        "Payments Maps Secret",
        name="geo-payments",
        groups=[partners],
        description="routes",
    )
    make_product("Payments Draft", groups=[developers], state=NOT_PUBLISHED)
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"q": query})

    assert set(shown_products(response)) == expected


def test_catalogue_search_without_match(client, developer, make_product, developers, partners):
    make_product("Weather", groups=[developers])
    make_product("Secret Weapon", groups=[partners])
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"q": "secret"})

    assert shown_products(response) == []
    assert "No products match “secret”" in response.content.decode()


def test_catalogue_pages_hold_twelve_products(client, developer, make_product, developers):
    visible = [f"Product {i:02}" for i in range(15)]
    for display_name in visible:
        make_product(display_name, groups=[developers])
    # Interleaved with the visible ones by name; they must not take up room.
    for i in range(5):
        make_product(f"Product {i:02}b", groups=[], state=PUBLISHED)
    client.force_login(developer)

    first = client.get(reverse("portal:products"))
    second = client.get(reverse("portal:products"), {"page": 2})

    assert shown_products(first) == [f"product-{i:02}" for i in range(12)]
    assert shown_products(second) == [f"product-{i:02}" for i in range(12, 15)]
    assert "Page 2 of 2" in second.content.decode()
    assert "Showing 13–15 of 15" in second.content.decode()


def test_catalogue_search_query_is_escaped(client, developer):
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"q": "<script>alert(1)</script>"})

    content = response.content.decode()
    assert "<script>alert(1)" not in content
    assert "No products match “&lt;script&gt;alert(1)&lt;/script&gt;”" in content


@pytest.mark.parametrize(("page", "expected"), [("99", 2), ("0", 1), ("abc", 1), ("-1", 1)])
def test_catalogue_page_out_of_range(client, developer, make_product, developers, page, expected):
    for i in range(13):
        make_product(f"Product {i:02}", groups=[developers])
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"page": page})

    assert response.context["page"].number == expected
    assert len(shown_products(response)) == (12 if expected == 1 else 1)


def test_catalogue_search_keeps_the_query_when_paging(client, developer, make_product, developers):
    for i in range(14):
        make_product(f"Alpha {i:02}", groups=[developers])
        make_product(f"Beta {i:02}", groups=[developers])
    client.force_login(developer)

    response = client.get(reverse("portal:products"), {"q": "alpha", "page": 2})

    assert shown_products(response) == ["alpha-12", "alpha-13"]
    assert 'href="?q=alpha&amp;page=1"' in response.content.decode()


@pytest.mark.parametrize("group_count", [1, 50])
def test_catalogue_queries_do_not_grow_with_rows(
    client, make_user, assert_queries_do_not_grow, group_count
):
    person = make_user()
    groups = Group.objects.bulk_create(
        Group(name=f"team-{i}", display_name=f"Team {i}", display_name_key=f"team {i}")
        for i in range(group_count)
    )
    Membership.objects.bulk_create(Membership(group=group, user=person) for group in groups)
    client.force_login(person)

    def add_products(numbers):
        products = Product.objects.bulk_create(
            Product(
                name=f"product-{i:03}",
                display_name=f"Product {i:03}",
                display_name_key=f"product {i:03}",
                state=PUBLISHED,
                description=f"The **{i}th** product.",
            )
            for i in numbers
        )
        # Each product through one of the person's groups, spread over all of them.
        ProductGroup.objects.bulk_create(
            ProductGroup(product=product, group=groups[i % group_count])
            for i, product in zip(numbers, products, strict=True)
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the person's groups (then used as a literal list)
    # 4. the paginator's COUNT of the visible products
    # 5. the page of twelve visible products
    # 6. the menus' pages, from the shared cache (the database cache without
    #    Redis is a query; Redis makes it none)
    few, many = assert_queries_do_not_grow(reverse("portal:products"), add_products, 6)
    assert few.context["page"].paginator.count == 5
    assert len(shown_products(few)) == 5
    assert many.context["page"].paginator.count == 500
    assert len(shown_products(many)) == 12


def test_anonymous_visibility_matches_the_catalogue(client, shelf):
    expected = set(Product.objects.visible_to(AnonymousUser()).values_list("name", flat=True))

    assert catalogue(client) == expected == GUEST_CATALOGUE


# A product's page


def test_product_page_renders_description_and_terms(client, developer, make_product, developers):
    make_product(
        "Payments",
        groups=[developers],
        description="Moves money, **bold** claims.",
        terms="You *must* agree.\n\n- no resale",
    )
    client.force_login(developer)

    response = client.get(reverse("portal:product", args=["payments"]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in content
    assert "**bold**" not in content
    assert "Terms of use" in content
    assert "<em>must</em>" in content
    assert "<li>no resale</li>" in content


def test_product_page_open_product(client, developer, make_product, developers):
    make_product("Status", groups=[developers], subscription_required=False)
    client.force_login(developer)

    content = client.get(reverse("portal:product", args=["status"])).content.decode()

    assert "This product is <strong>open</strong>" in content
    assert "A subscription is needed" not in content
    assert "Terms of use" not in content


@pytest.mark.parametrize(
    ("approval", "wording"),
    [
        (True, "A subscription is needed to call its APIs, and an administrator approves each"),
        (False, "A subscription is needed to call its APIs."),
    ],
)
def test_product_page_subscription_wording(
    client, developer, make_product, developers, approval, wording
):
    make_product("Payments", groups=[developers], approval_required=approval)
    client.force_login(developer)

    content = client.get(reverse("portal:product", args=["payments"])).content.decode()

    assert wording in content
    assert ("approves each request" in content) is approval
    assert "<strong>open</strong>" not in content


@pytest.mark.parametrize(
    ("who", "hidden"),
    [
        ("anonymous", "payments"),  # Developers only
        ("anonymous", "partner-deals"),
        ("anonymous", "draft-plans"),  # linked to Guests but not published
        ("anonymous", "internal-tools"),
        ("developer", "visitors-only"),  # Guests only
        ("developer", "partner-deals"),
        ("developer", "draft-plans"),
        ("developer", "internal-tools"),
        ("member", "draft-plans"),
        ("member", "internal-tools"),
        ("support_staff", "partner-deals"),
    ],
)
def test_product_page_hidden_is_the_same_404_as_missing(client, shelf, who, hidden, sign_in_as):
    sign_in_as(who)

    refused = client.get(reverse("portal:product", args=[hidden]))
    missing = client.get(reverse("portal:product", args=["no-such-product"]))

    assert refused.status_code == 404
    assert missing.status_code == 404
    assert normalised(refused.content) == normalised(missing.content)
    assert normalised_headers(refused) == normalised_headers(missing)
    assert shelf[hidden].display_name not in refused.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 404), ("developer", 404), ("member", 404), ("administrator", 200)],
)
def test_product_page_unpublished(client, shelf, who, status, sign_in_as):
    sign_in_as(who)

    response = client.get(reverse("portal:product", args=["draft-plans"]))

    assert response.status_code == status
    if status == 200:
        assert "Not published: only administrators see this product." in response.content.decode()


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_product_page_administrator_sees_every_product(client, administrator, shelf, name):
    client.force_login(administrator)

    assert client.get(reverse("portal:product", args=[name])).status_code == 200


def test_product_page_at_the_limit_explains_and_disables_subscribe(
    client, member, make_product, make_subscription
):
    limited = make_product(subscriptions_limit=1)
    make_subscription(member, limited, "active", display_name="Only one")
    client.force_login(member)
    response = client.get(reverse("portal:product", args=[limited.name]))
    assert response.status_code == 200
    text = response.content.decode()
    assert escape("You have reached this product's limit of 1 subscription per developer.") in text
    assert (
        '<button type="button" class="btn btn-primary" disabled '
        'aria-describedby="subscribe-blocked">Subscribe</button>'
    ) in text
    assert 'action="' + reverse("portal:subscribe", args=[limited.name]) not in text


def test_product_page_below_the_limit_offers_the_form(
    client, member, make_product, make_subscription
):
    limited = make_product(subscriptions_limit=2)
    make_subscription(member, limited, "active")
    make_subscription(member, limited, "cancelled")
    client.force_login(member)
    response = client.get(reverse("portal:product", args=[limited.name]))
    assert "subscribe_blocked" not in response.context
    assert (
        'action="' + reverse("portal:subscribe", args=[limited.name]) in response.content.decode()
    )


def test_product_page_at_a_limit_filled_by_a_waiting_request_says_so(
    client, member, make_product, make_subscription
):
    limited = make_product(subscriptions_limit=2, approval_required=True)
    make_subscription(member, limited, "active", display_name="Working")
    make_subscription(member, limited, "submitted", display_name="Pending one")
    client.force_login(member)
    response = client.get(reverse("portal:product", args=[limited.name]))
    blocked = response.context["offer"].refused
    assert "waiting" in blocked
    assert "“Pending one”" in blocked
    assert (
        'disabled aria-describedby="subscribe-blocked">Request subscription'
        in response.content.decode()
    )


# Accounts that can no longer sign in


@pytest.mark.parametrize("state", [User.State.BLOCKED, User.State.PENDING])
def test_signed_in_account_that_loses_sign_in_is_a_guest(client, member, shelf, state):
    client.force_login(member)
    assert catalogue(client) == PARTNER_CATALOGUE
    member.state = state
    member.save()

    assert catalogue(client) == GUEST_CATALOGUE
    assert client.get(reverse("portal:product", args=["partner-deals"])).status_code == 404
    assert client.get(reverse("portal:product", args=["payments"])).status_code == 404
    assert client.get(reverse("portal:product", args=["visitors-only"])).status_code == 200
    landing = client.get(reverse("portal:landing"))
    assert set(shown_products(landing)) <= GUEST_CATALOGUE


def test_blocked_administrator_who_was_signed_in_is_a_guest(client, administrator, shelf):
    client.force_login(administrator)
    assert catalogue(client) == EVERYTHING
    administrator.state = User.State.BLOCKED
    administrator.save()

    assert catalogue(client) == GUEST_CATALOGUE
    assert client.get(reverse("portal:product", args=["draft-plans"])).status_code == 404


@pytest.mark.parametrize("subscriptions", [1, 25])
def test_product_page_queries(
    client, member, make_product, make_subscription, django_assert_num_queries, subscriptions
):
    capped = make_product("Capped", subscriptions_limit=30, approval_required=True)
    for _ in range(subscriptions):
        make_subscription(member, capped, "active")
    client.force_login(member)
    client.get(reverse("portal:product", args=[capped.name]))
    # 1. the session, 2. the user, 3. the viewer's groups (once: the
    # request's memo answers every other visibility check), 4. the product,
    # 5. its APIs, 6. the viewer's latest 21 subscriptions to it; with 20
    # or fewer the rules look through those for a waiting request and count
    # them against the limit, 7-8. with more they ask for both; last, the
    # menus' pages from the shared cache (a query with the database cache).
    with django_assert_num_queries(7 if subscriptions <= 20 else 9):
        response = client.get(reverse("portal:product", args=[capped.name]))
    assert response.status_code == 200
    assert len(response.context["offer"].mine) == min(subscriptions, 20)
    assert response.context["offer"].refused == ""


@pytest.mark.parametrize(
    ("approval", "button"), [(True, "Request subscription"), (False, "Subscribe")]
)
def test_product_page_button_says_whether_an_administrator_approves(
    client, member, make_product, approval, button
):
    """A product that needs approval used to offer a plain Subscribe."""
    target = make_product(approval_required=approval)
    client.force_login(member)
    text = client.get(reverse("portal:product", args=[target.name])).content.decode()
    assert f">{button}</button>" in text
    assert ("An administrator approves each request" in text) is approval
