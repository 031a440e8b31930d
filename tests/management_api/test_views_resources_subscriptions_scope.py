"""management_api.views.resources: subscriptions scoped to one API (/apis/{apiId}), and
the all-APIs scope (/apis) Portico refuses."""

from __future__ import annotations

import pytest

from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.management_api.helpers import SERVICE, assert_azure_error, names


@pytest.fixture
def shipments(make_api, shared_product):
    """Shipments, inside Logistics (which every developer sees)."""
    return make_api("Shipments", products=[shared_product])


@pytest.mark.parametrize("full_ids", [False, True], ids=["short-ids", "resource-ids"])
def test_put_a_subscription_to_one_api(api, developer, shipments, full_ids):
    prefix = SERVICE if full_ids else ""
    response = api.put(
        "subscriptions/dev-shipments",
        {
            "scope": f"{prefix}/apis/shipments",
            "ownerId": f"{prefix}/users/{developer.api_id}",
            "displayName": "Tracker",
            "state": "active",
        },
    )
    assert response.status_code == 201
    properties = response.json()["properties"]
    assert properties["scope"] == f"{SERVICE}/apis/shipments"
    assert properties["state"] == "active"
    subscription = Subscription.objects.get(sid="dev-shipments")
    assert (subscription.owner, subscription.api, subscription.product) == (
        developer,
        shipments,
        None,
    )
    got = api.get("subscriptions/dev-shipments").json()
    assert got["properties"]["scope"] == f"{SERVICE}/apis/shipments"


def test_put_again_with_the_same_api_scope_updates(api, developer, shipments):
    sent = {"scope": "/apis/shipments", "ownerId": f"/users/{developer.api_id}"}
    api.put("subscriptions/dev-shipments", sent | {"displayName": "Tracker"})
    again = api.put("subscriptions/dev-shipments", sent | {"displayName": "Renamed"})
    assert again.status_code == 200
    assert Subscription.objects.get().display_name == "Renamed"


@pytest.mark.parametrize("scope", ["/products/logistics", "/apis/other", "/apis"])
def test_an_api_scope_cannot_change(api, developer, shipments, make_api, scope):
    make_api("Other")
    sent = {"scope": "/apis/shipments", "ownerId": f"/users/{developer.api_id}"}
    api.put("subscriptions/dev-shipments", sent | {"displayName": "Tracker"})
    response = api.put("subscriptions/dev-shipments", sent | {"scope": scope, "displayName": "X"})
    assert_azure_error(response, 400, "ValidationError")
    assert Subscription.objects.get().display_name == "Tracker"


@pytest.mark.parametrize("scope", ["/apis", "/apis/", f"{SERVICE}/apis"])
def test_the_all_apis_scope_is_refused_clearly(api, developer, shipments, scope):
    response = api.put(
        "subscriptions/everything",
        {"scope": scope, "ownerId": f"/users/{developer.api_id}", "displayName": "All"},
    )
    error = assert_azure_error(response, 400, "ValidationError")
    assert "no subscriptions to all APIs" in error["message"]
    assert error["details"][0]["target"] == "scope"
    assert not Subscription.objects.exists()


def test_a_product_called_apis_is_still_a_product(api, developer, developers, make_product):
    make_product("apis", name="apis", groups=[developers])
    response = api.put(
        "subscriptions/odd",
        {"scope": "/products/apis", "ownerId": f"/users/{developer.api_id}", "displayName": "X"},
    )
    assert response.status_code == 201
    assert response.json()["properties"]["scope"] == f"{SERVICE}/products/apis"


def test_an_unknown_api_is_404(api, developer):
    response = api.put(
        "subscriptions/x",
        {"scope": "/apis/nothing", "ownerId": f"/users/{developer.api_id}", "displayName": "X"},
    )
    assert_azure_error(response, 404)
    assert not Subscription.objects.exists()


def test_an_api_the_owner_cannot_see_is_granted(api, developer, make_api, make_product):
    """As for products: an administrator's PUT grants it, waiting for approval (Azure's default)."""
    hidden = make_product("Hidden")  # Partners only; the developer is in none.
    make_api("Secret", products=[hidden])
    response = api.put(
        "subscriptions/x",
        {"scope": "/apis/secret", "ownerId": f"/users/{developer.api_id}", "displayName": "X"},
    )
    assert response.status_code == 201
    granted = Subscription.objects.get(sid="x")
    assert (granted.api.name, granted.state, granted.beyond_sight) == ("secret", "submitted", True)


def test_a_standalone_subscription_to_an_api_in_no_product(api, make_api):
    make_api("Loose")
    response = api.put("subscriptions/ci", {"scope": "/apis/loose", "displayName": "CI"})
    assert response.status_code == 201
    assert Subscription.objects.get(sid="ci").api.name == "loose"


@pytest.fixture
def both_kinds(developer, shared_product, shipments, administrator):
    subscription_services.create_subscription(
        sid="to-product",
        owner=developer,
        product=shared_product,
        display_name="P",
        actor=administrator,
    )
    subscription_services.create_subscription(
        sid="to-api", owner=developer, api=shipments, display_name="A", actor=administrator
    )


def test_lists_show_each_subscriptions_scope(api, developer, both_kinds):
    listed = api.get("subscriptions").json()["value"]
    scopes = {item["name"]: item["properties"]["scope"] for item in listed}
    assert scopes == {
        "to-api": f"{SERVICE}/apis/shipments",
        "to-product": f"{SERVICE}/products/logistics",
    }
    assert names(api.get(f"users/{developer.api_id}/subscriptions")) == ["to-api", "to-product"]
    assert names(api.get("products/logistics/subscriptions")) == ["to-product"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("scope eq 'shipments'", ["to-api"]),
        ("scope eq 'logistics'", ["to-product"]),
        ("scope ne 'logistics'", ["to-api"]),
        ("startswith(scope, 'ship')", ["to-api"]),
        ("apiId eq 'shipments'", ["to-api"]),
        ("productId eq 'logistics'", ["to-product"]),
    ],
)
def test_filter_on_scope_covers_apis(api, both_kinds, expression, expected):
    response = api.get("subscriptions", **{"$filter": expression})
    assert response.status_code == 200
    assert names(response) == expected
