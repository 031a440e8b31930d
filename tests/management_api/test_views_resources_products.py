"""management_api.views.resources: products and their groups through the management API."""

from __future__ import annotations

import pytest

from products.models import Product, ProductGroup
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.management_api.helpers import (
    assert_azure_error,
    names,
    url,
)


def test_product_put_defaults(api, db):
    response = api.put("products/logistics", {"displayName": "Logistics"})
    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    properties = response.json()["properties"]
    assert properties["subscriptionRequired"] is True
    assert properties["state"] == "notPublished"
    assert properties["approvalRequired"] is False
    assert properties["subscriptionsLimit"] is None
    product = Product.objects.get(name="logistics")
    assert (product.subscription_required, product.state) == (True, "notPublished")


def test_product_put_links_administrators(api, db):
    api.put("products/logistics", {"displayName": "Logistics"})
    assert names(api.get("products/logistics/groups")) == ["administrators"]
    assert api.head("products/logistics/groups/administrators").status_code == 204


def test_product_put_then_update(api, db):
    api.put("products/logistics", {"displayName": "Logistics"})
    response = api.put(
        "products/logistics",
        {"displayName": "Logistics", "state": "published", "subscriptionsLimit": 2},
    )
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    product = Product.objects.get(name="logistics")
    assert (product.state, product.subscriptions_limit) == ("published", 2)
    # An update leaves Administrators' link alone and adds no other.
    assert list(product.groups.values_list("name", flat=True)) == ["administrators"]


def test_product_patch(api, shared_product):
    tag = api.get("products/logistics")["ETag"]
    response = api.patch("products/logistics", {"approvalRequired": True}, if_match=tag)
    assert response.status_code == 200
    assert response.json()["properties"]["approvalRequired"] is True
    assert response["ETag"] != tag
    shared_product.refresh_from_db()
    assert shared_product.approval_required is True


def test_product_groups_put_head_delete_list(api, partners):
    api.put("products/logistics", {"displayName": "Logistics"})
    path = "products/logistics/groups/partners"
    assert api.head(path).status_code == 404

    linked = api.put(path)
    assert linked.status_code == 201
    assert linked.json()["name"] == "partners"
    assert api.put(path).status_code == 200
    assert api.head(path).status_code == 204
    assert names(api.get("products/logistics/groups")) == ["administrators", "partners"]
    assert ProductGroup.objects.filter(product__name="logistics", group=partners).count() == 1

    assert api.delete(path, if_match=None).status_code == 200
    assert api.delete(path, if_match=None).status_code == 204
    assert api.head(path).status_code == 404
    assert names(api.get("products/logistics/groups")) == ["administrators"]


def test_product_delete_with_subscriptions_needs_delete_subscriptions(
    api, administrator, shared_product, developer
):
    subscription_services.create_subscription(
        sid="dev-logistics",
        owner=developer,
        product=shared_product,
        display_name="App",
        actor=administrator,
    )
    refused = api.delete("products/logistics")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ValidationError"
    assert Product.objects.filter(name="logistics").exists()
    assert Subscription.objects.filter(sid="dev-logistics").exists()

    assert api.delete("products/logistics", deleteSubscriptions="true").status_code == 200
    assert not Product.objects.filter(name="logistics").exists()
    assert not Subscription.objects.exists()
    assert api.delete("products/logistics").status_code == 204


def test_product_without_subscriptions_deletes(api, db):
    api.put("products/logistics", {"displayName": "Logistics"})
    assert api.delete("products/logistics").status_code == 200
    assert not ProductGroup.objects.exists()


def test_product_list_filter(api, db):
    api.put("products/logistics", {"displayName": "Logistics", "state": "published"})
    api.put("products/payments", {"displayName": "Payments"})
    assert names(api.get("products")) == ["logistics", "payments"]
    assert names(api.get("products", **{"$filter": "state eq 'published'"})) == ["logistics"]


def test_removing_administrators_from_a_product_is_400(client, bearer, logistics):
    response = client.delete(url("products/logistics/groups/administrators"), **bearer)
    assert_azure_error(response, 400, "ValidationError")
    assert ProductGroup.objects.filter(product=logistics, group__name="administrators").exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_number_too_big_for_an_integer_is_400(client, bearer, logistics, method):
    # 1e400 is a valid JSON number; Python reads it as float infinity.
    raw = b'{"properties": {"displayName": "Logistics", "subscriptionsLimit": 1e400}}'
    response = getattr(client, method)(
        url("products/logistics"), raw, "application/json", HTTP_IF_MATCH="*", **bearer
    )
    assert_azure_error(response, 400, "ValidationError")
    logistics.refresh_from_db()
    assert logistics.subscriptions_limit is None
