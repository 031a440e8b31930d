"""The developer portal's APIs page, and the APIs on a product's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apis import documents
from apis import services as api_services
from apis.models import Api
from portal import preview
from portal.models import User
from tests.apis.conftest import (
    ALL_APIS,
    DEVELOPER_APIS,
    GUEST_APIS,
    PARTNER_APIS,
    shown_apis,
)
from tests.conftest import openapi_text

ROLES = [
    ("anonymous", GUEST_APIS),
    ("developer", DEVELOPER_APIS),
    ("support_staff", DEVELOPER_APIS),
    ("other_member", DEVELOPER_APIS),
    ("member", PARTNER_APIS),
    ("administrator", ALL_APIS),
]


@pytest.mark.parametrize(("who", "expected"), ROLES)
def test_list_shows_exactly_the_visible_apis(client, api_shelf, sign_in_as, who, expected):
    sign_in_as(who)

    response = client.get(reverse("portal:apis"))

    names = shown_apis(response)
    assert len(names) == len(set(names))
    assert set(names) == expected
    assert response.context["page"].paginator.count == len(expected)


def test_blocked_account_sees_what_a_guest_sees(client, api_shelf, member):
    client.force_login(member)
    assert set(shown_apis(client.get(reverse("portal:apis")))) == PARTNER_APIS
    member.state = User.State.BLOCKED
    member.save()

    assert set(shown_apis(client.get(reverse("portal:apis")))) == GUEST_APIS


def test_top_bar_links_to_the_apis(client, db):
    body = client.get(reverse("portal:products")).content.decode()

    assert f'href="{reverse("portal:apis")}">APIs</a>' in body


def test_view_as_a_group_shows_its_apis(client, administrator, api_shelf, partners):
    client.force_login(administrator)
    session = client.session
    session[preview.SESSION_KEY] = {"kind": "group", "key": partners.name}
    session.save()

    response = client.get(reverse("portal:apis"))

    assert set(shown_apis(response)) == PARTNER_APIS
    assert "You are viewing the portal as a member of Partners" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("forecast", {"forecasts"}),
        ("BILLING", {"billing"}),
        ("The Shipments API", {"shipments"}),  # the description
        ("", PARTNER_APIS),
        ("%", set()),
    ],
)
def test_list_search(client, api_shelf, member, query, expected):
    client.force_login(member)

    response = client.get(reverse("portal:apis"), {"q": query})

    assert set(shown_apis(response)) == expected


def test_list_filters_by_visible_product(client, api_shelf, member):
    client.force_login(member)

    response = client.get(reverse("portal:apis"), {"product": "partner-deals"})

    assert shown_apis(response) == ["shipments"]
    choices = [product.name for product in response.context["products"]]
    assert choices == ["partner-deals", "payments", "weather"]


def test_list_ignores_a_product_the_viewer_does_not_see(client, api_shelf, developer):
    client.force_login(developer)

    response = client.get(reverse("portal:apis"), {"product": "partner-deals"})

    assert set(shown_apis(response)) == DEVELOPER_APIS
    assert "Partner Deals" not in response.content.decode()


def test_list_filters_by_tag_and_hides_restricted_tags(client, api_shelf, member, beta_member):
    client.force_login(member)
    tagged = client.get(reverse("portal:apis"), {"tag": "Admin"})
    assert tagged.context["tags"] == ["Admin", "Shipments"]
    # Every API of the shelf has an Admin operation; Shipments' is for Beta testers.
    assert set(shown_apis(tagged)) == PARTNER_APIS


def test_restricted_tag_is_not_offered_to_outsiders(client, make_api, make_product, member, beta):
    # Only Shipments has an Admin operation, and it is Beta testers' alone.
    text = openapi_text(
        "Shipments",
        [("get", "/a", "listA", ["Public"]), ("delete", "/a", "wipeA", ["Admin"])],
    )
    api = make_api("Shipments", text=text, products=[make_product("Deals")])
    api_services.restrict(api=api, kind="tag", target="Admin", groups=[beta], added_by=None)
    client.force_login(member)

    response = client.get(reverse("portal:apis"), {"tag": "Admin"})

    assert response.context["tags"] == ["Public"]
    assert "Admin" not in response.content.decode()
    assert shown_apis(response) == ["shipments"]  # a tag not offered filters nothing
    assert "1 operation<" in response.content.decode()


def test_list_says_so_when_empty(client, db):
    response = client.get(reverse("portal:apis"))

    assert "No APIs are open to visitors yet" in response.content.decode()


def test_list_says_so_when_nothing_matches(client, api_shelf):
    response = client.get(reverse("portal:apis"), {"q": "nothing like it"})

    assert "No APIs match “nothing like it”" in response.content.decode()


def test_list_pages(client, developer, make_product, developers):
    product = make_product("Many", groups=[developers])
    document = documents.read(openapi_text("Many"))
    for number in range(23):
        api_services.add_apis(
            product=product,
            apis=[
                api_services.create_api(
                    document=document,
                    name=f"api-{number:02}",
                    display_name=f"API {number:02}",
                    path=f"many/{number}",
                )
            ],
            added_by=None,
        )
    client.force_login(developer)

    first = client.get(reverse("portal:apis"))
    second = client.get(reverse("portal:apis"), {"page": 2})

    assert shown_apis(first) == [f"api-{number:02}" for number in range(20)]
    assert shown_apis(second) == ["api-20", "api-21", "api-22"]


def test_list_queries_do_not_grow(
    api_shelf, member, client, make_product, assert_queries_do_not_grow, partners
):
    client.force_login(member)
    product = make_product("Bulk", groups=[partners])
    document = documents.read(openapi_text("Bulk"))

    def grow(numbers: range) -> None:
        for number in numbers:
            api = api_services.create_api(
                document=document,
                name=f"bulk-{number}",
                display_name=f"Bulk {number}",
                path=f"bulk/{number}",
            )
            api_services.add_apis(product=product, apis=[api], added_by=None)
            if number % 50 == 0:
                api_services.restrict(
                    api=api, kind="tag", target="Admin", groups=[partners], added_by=None
                )

    # Session, user, the viewer's groups (read by indexes, as a literal list,
    # once: the request's memo answers the other two product visibility
    # checks and the restrictions' check), products for the filter,
    # restrictions, tags, the restricted APIs' operations, count, page,
    # products of the page; the menus' pages from the shared cache (a query
    # with the database cache, none with Redis).
    assert_queries_do_not_grow(reverse("portal:apis") + "?tag=Shipments", grow, queries=11)


# A product's page


@pytest.mark.parametrize(
    ("who", "product", "expected"),
    [
        ("anonymous", "weather", ["forecasts"]),
        ("anonymous", "visitors-only", ["guest-only"]),
        ("developer", "payments", ["billing"]),
        ("member", "partner-deals", ["shipments"]),
        ("administrator", "draft-plans", ["drafts"]),
    ],
)
def test_product_page_lists_its_apis(client, api_shelf, sign_in_as, who, product, expected):
    sign_in_as(who)

    response = client.get(reverse("portal:product", args=[product]))

    assert shown_apis(response) == expected


def test_product_page_for_guests_has_no_subscribe_button(client, api_shelf):
    body = client.get(reverse("portal:product", args=["visitors-only"])).content.decode()

    assert 'href="/apis/guest-only/"' in body
    assert 'type="submit" class="btn btn-primary">Subscribe' not in body
    assert "Sign in to subscribe" in body


def test_product_page_without_apis_says_so(client, shelf):
    body = client.get(reverse("portal:product", args=["weather"])).content.decode()

    assert "This product has no APIs yet." in body


def test_product_page_links_to_the_rest_when_it_has_many(
    client, developer, make_product, developers
):
    product = make_product("Many", groups=[developers])
    document = documents.read(openapi_text("Many"))
    apis = [
        api_services.create_api(
            document=document, name=f"m-{n:02}", display_name=f"M {n:02}", path=f"m/{n}"
        )
        for n in range(21)
    ]
    api_services.add_apis(product=product, apis=apis, added_by=None)
    client.force_login(developer)

    response = client.get(reverse("portal:product", args=["many"]))

    assert len(shown_apis(response)) == 20
    assert "/apis/?product=many" in response.content.decode()
    assert Api.objects.count() == 21
