"""The console's Subscriptions › + Add subscription with an API as the scope: the
choice of products and APIs, a grant on one API, and its limit, which comes from
the products the developer sees the API in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apis.models import Api
from products.models import Product
from subscriptions.models import Subscription
from tests.conftest import messages_of

GRANT = reverse("subscriptions:grant")


def form(**changes):
    return {
        "developer": "dev@example.com",
        "scope": "apis/shipments",
        "display_name": "Warehouse sync",
        "state": "",
        "notify": "",
    } | changes


def test_the_scope_offers_products_and_apis_in_two_groups(client, administrator, product, make_api):
    make_api("Shipments")
    make_api("<b>Bold</b> & co", name="bold")
    client.force_login(administrator)
    body = client.get(GRANT).content.decode()
    products = body.index('<optgroup label="Products">')
    apis = body.index('<optgroup label="APIs (one API alone)">')
    assert products < body.index('<option value="products/payments">Payments</option>') < apis
    assert apis < body.index('<option value="apis/shipments">Shipments</option>')
    assert '<option value="apis/bold">&lt;b&gt;Bold&lt;/b&gt; &amp; co</option>' in body
    assert '<option value="" selected>Choose a product or an API</option>' in body


@pytest.mark.parametrize(
    ("scope", "selected"),
    [("apis/shipments", "apis/shipments"), ("products/payments", "products/payments")],
)
def test_a_product_or_api_page_chooses_the_scope_in_advance(
    client, administrator, product, make_api, scope, selected
):
    make_api("Shipments")
    client.force_login(administrator)
    body = client.get(GRANT, {"scope": scope}).content.decode()
    assert f'<option value="{selected}" selected>' in body


def test_an_unknown_scope_in_the_address_chooses_nothing(client, administrator, make_api):
    make_api("Shipments")
    client.force_login(administrator)
    response = client.get(GRANT, {"scope": "apis/<script>"})
    body = response.content.decode()
    assert response.status_code == 200
    # Nothing is marked, so the browser shows the first option, "Choose ...".
    assert '<option value="apis/shipments">Shipments</option>' in body
    assert " selected>" not in body
    assert "&lt;script&gt;" not in body


def test_the_api_and_product_pages_link_to_the_grant(client, administrator, product, make_api):
    api = make_api("Shipments")
    client.force_login(administrator)
    api_page = client.get(reverse("apis:detail", args=[api.name])).content.decode()
    assert f'href="{GRANT}?scope=apis/shipments">+ Add subscription</a>' in api_page
    product_page = client.get(reverse("products:detail", args=[product.name])).content.decode()
    assert f'href="{GRANT}?scope=products/payments">+ Add subscription</a>' in product_page


def test_a_grant_on_an_api_the_developer_sees_is_to_that_api_alone(
    client, administrator, member, product, make_api
):
    api = make_api("Shipments", products=[product])
    client.force_login(administrator)
    response = client.post(GRANT, form(), follow=True)
    made = Subscription.objects.get()
    assert response.redirect_chain == [(made.get_absolute_url(), 302)]
    assert (made.owner, made.api, made.product, made.state) == (member, api, None, "active")
    assert (made.granted_by, made.beyond_sight) == (administrator, False)
    assert messages_of(response) == [
        "Granted “Warehouse sync” to dev@example.com for the Shipments API. It is active; its "
        "keys are on their profile."
    ]
    body = response.content.decode()
    assert "(this API alone, ID" in body
    assert "can't see this API" not in body


def test_a_grant_on_a_hidden_api_stands_on_the_grant(
    client, administrator, outsider, make_product, beta, make_api, mailoutbox
):
    hidden = make_product("Hidden Gems", groups=[beta], approval_required=True)
    api = make_api("Shipments", products=[hidden])
    client.force_login(administrator)
    response = client.post(GRANT, form(developer="outsider@example.com"), follow=True)
    made = Subscription.objects.get()
    # The product's approval is not the outsider's: they don't see it.
    assert (made.owner, made.api, made.state) == (outsider, api, "active")
    assert (made.granted, made.beyond_sight) == (True, True)
    assert messages_of(response) == [
        "Granted “Warehouse sync” to outsider@example.com for the Shipments API. It is active; "
        "its keys are on their profile. They can't see the Shipments API in the portal: the "
        "subscription stands on your grant, and losing sight of products won't suspend it."
    ]
    assert "Otto Outsider can't see this API" in response.content.decode()


def test_as_the_api_says_waits_when_a_product_showing_it_needs_approval(
    client, administrator, member, make_product, make_api
):
    ledger = make_product("Ledger", approval_required=True)
    make_api("Shipments", products=[ledger])
    client.force_login(administrator)
    response = client.post(GRANT, form(), follow=True)
    assert Subscription.objects.get().state == "submitted"
    assert "It waits for approval: press Approve when it should start." in messages_of(response)[0]


def test_a_blocked_developer_is_refused_next_to_the_developer(
    client, administrator, blocked_user, make_api
):
    make_api("Shipments")
    client.force_login(administrator)
    response = client.post(GRANT, form(developer="blocked@example.com"))
    assert response.context["form"].errors["developer"] == [
        "blocked@example.com is blocked: unblock the account before granting it a subscription."
    ]
    assert '<option value="apis/shipments" selected>' in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_apis_limit_names_the_products_it_comes_from(
    client, administrator, member, make_product, make_api
):
    capped = make_product("Capped", subscriptions_limit=1)
    roomy = make_product("Roomy", subscriptions_limit=5)
    make_api("Shipments", products=[capped, roomy])
    client.force_login(administrator)
    assert client.post(GRANT, form()).status_code == 302
    response = client.post(GRANT, form(display_name="Second"))
    assert response.context["form"].errors["scope"] == [
        "dev@example.com already holds 1 subscription to the Shipments API, its limit per "
        "developer (from Capped, which shows them the API). Cancel one of theirs, or raise the "
        "limit in that product's Settings."
    ]
    body = response.content.decode()
    assert 'value="Second"' in body
    assert '<option value="apis/shipments" selected>' in body
    assert Subscription.objects.count() == 1


def test_an_apis_limit_shared_by_products_names_them_all(
    client, administrator, member, make_product, make_api
):
    products = [make_product(name, subscriptions_limit=2) for name in ("Ant", "Bee")]
    make_api("Shipments", products=products)
    client.force_login(administrator)
    for n in range(2):
        assert client.post(GRANT, form(display_name=f"Sync {n}")).status_code == 302
    response = client.post(GRANT, form())
    assert response.context["form"].errors["scope"] == [
        "dev@example.com already holds 2 subscriptions to the Shipments API, its limit per "
        "developer (from Ant and Bee, which show them the API). Cancel one of theirs, or raise "
        "the limit in those products' Settings."
    ]


def test_the_page_makes_the_same_queries_with_thousands_of_choices(
    client, administrator, assert_queries_do_not_grow
):
    client.force_login(administrator)

    def add_products_and_apis(numbers):
        Product.objects.bulk_create(
            Product(name=f"product-{n:04}", display_name=f"P {n:04}", display_name_key=f"p {n:04}")
            for n in numbers
        )
        Api.objects.bulk_create(
            Api(
                name=f"api-{n:04}",
                display_name=f"A {n:04}",
                display_name_key=f"a {n:04}",
                path=f"api-{n:04}",
            )
            for n in numbers
        )

    # 1. the session
    # 2. the signed-in user
    # 3. the products' IDs and names
    # 4. the APIs' IDs and names
    # 5. the menu's badge of waiting approvals, read from the shared cache
    _, many = assert_queries_do_not_grow(GRANT, add_products_and_apis, 5, many=2000)
    body = many.content.decode()
    assert body.count('<option value="products/') == body.count('<option value="apis/') == 2000
