"""Azure's own SDK (azure-mgmt-apimanagement), pointed at a live Portico, manages groups,
products, users and subscriptions through management_api.views and management_api.azure."""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken as AzureToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    GroupCreateParameters,
    GroupUpdateParameters,
    ProductContract,
    SubscriptionCreateParameters,
)
from django.conf import settings

from apis import documents as api_documents
from apis import services as api_services
from apis.models import Api
from groups.models import Group, Membership
from management_api.services import issue_token
from products.models import Product, ProductGroup
from subscriptions.models import Subscription
from tests.conftest import openapi_text

pytestmark = pytest.mark.django_db(transaction=True)
PLAIN_HTTP = {"enforce_https": False}


class StaticToken:
    """An azure-core credential that hands out a Portico personal access token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AzureToken:
        return AzureToken(self.token, int(time.time()) + 3600)


@pytest.fixture
def sdk(live_server, administrator):
    _, clear = issue_token(user=administrator, name="sdk", days=1)
    return ApiManagementClient(
        StaticToken(clear),
        settings.PORTICO_AZURE_SUBSCRIPTION_ID,
        base_url=live_server.url,
        retry_total=0,
    )


def etag_of(operations, *args):
    """Read an entity tag the SDK's way: from a GET's ETag response header."""
    return operations.get(*args, cls=lambda response, model, headers: headers["ETag"], **PLAIN_HTTP)


RG = settings.PORTICO_AZURE_RESOURCE_GROUP
SERVICE = settings.PORTICO_AZURE_SERVICE_NAME


def test_the_sdk_drives_groups_products_users_and_subscriptions(sdk, developer):
    # Create a group, read it, list it with $filter.
    created = sdk.group.create_or_update(
        RG,
        SERVICE,
        "partners",
        GroupCreateParameters(display_name="Partners", description="Partner developers"),
        **PLAIN_HTTP,
    )
    assert created.name == "partners" and created.display_name == "Partners"
    assert created.built_in is False and created.type_properties_type == "custom"
    fetched = sdk.group.get(RG, SERVICE, "partners", **PLAIN_HTTP)
    assert fetched.description == "Partner developers"
    names = [
        g.name
        for g in sdk.group.list_by_service(
            RG, SERVICE, filter="startswith(displayName,'Part')", **PLAIN_HTTP
        )
    ]
    assert names == ["partners"]

    # Update it with its entity tag; a stale tag fails and changes nothing.
    assert sdk.group.get_entity_tag(RG, SERVICE, "partners", **PLAIN_HTTP)
    tag = etag_of(sdk.group, RG, SERVICE, "partners")
    sdk.group.update(
        RG,
        SERVICE,
        "partners",
        tag,
        GroupUpdateParameters(description="Partners under contract"),
        **PLAIN_HTTP,
    )
    with pytest.raises(HttpResponseError) as stale:
        sdk.group.update(
            RG,
            SERVICE,
            "partners",
            tag,
            GroupUpdateParameters(description="Overwritten"),
            **PLAIN_HTTP,
        )
    assert stale.value.status_code == 412
    assert Group.objects.get(name="partners").description == "Partners under contract"

    # Add a user to it.
    sdk.group_user.create(RG, SERVICE, "partners", developer.api_id, **PLAIN_HTTP)
    assert sdk.group_user.check_entity_exists(
        RG, SERVICE, "partners", developer.api_id, **PLAIN_HTTP
    )
    assert Membership.objects.filter(group__name="partners", user=developer).exists()

    # A product, linked to the group; list the product's and the user's groups.
    sdk.product.create_or_update(
        RG,
        SERVICE,
        "logistics",
        ProductContract(
            display_name="Logistics",
            description="Shipments",
            subscription_required=True,
            approval_required=False,
            state="published",
        ),
        **PLAIN_HTTP,
    )
    sdk.product_group.create_or_update(RG, SERVICE, "logistics", "partners", **PLAIN_HTTP)
    product_groups = {
        g.name for g in sdk.product_group.list_by_product(RG, SERVICE, "logistics", **PLAIN_HTTP)
    }
    assert product_groups == {"administrators", "partners"}
    user_groups = {g.name for g in sdk.user_group.list(RG, SERVICE, developer.api_id, **PLAIN_HTTP)}
    assert user_groups == {"developers", "partners"}

    # A subscription and its secrets; regenerate a key.
    subscription = sdk.subscription.create_or_update(
        RG,
        SERVICE,
        "dev-logistics",
        SubscriptionCreateParameters(
            owner_id=f"/users/{developer.api_id}",
            scope="/products/logistics",
            display_name="Developer's logistics app",
            state="active",
        ),
        **PLAIN_HTTP,
    )
    assert subscription.state == "active"
    secrets = sdk.subscription.list_secrets(RG, SERVICE, "dev-logistics", **PLAIN_HTTP)
    assert secrets.primary_key == Subscription.objects.get(sid="dev-logistics").primary_secret
    sdk.subscription.regenerate_primary_key(RG, SERVICE, "dev-logistics", **PLAIN_HTTP)
    renewed = sdk.subscription.list_secrets(RG, SERVICE, "dev-logistics", **PLAIN_HTTP)
    assert renewed.primary_key != secrets.primary_key
    assert renewed.secondary_key == secrets.secondary_key
    # A subscription to one API in the product (scope /apis/{apiId}).
    api_services.create_api(
        document=api_documents.read(openapi_text("Tracking")),
        name="tracking",
        display_name="Tracking",
        path="tracking",
    )
    api_services.add_apis(
        product=Product.objects.get(name="logistics"),
        apis=Api.objects.filter(name="tracking"),
        added_by=None,
    )
    to_api = sdk.subscription.create_or_update(
        RG,
        SERVICE,
        "dev-tracking",
        SubscriptionCreateParameters(
            owner_id=f"/users/{developer.api_id}",
            scope="/apis/tracking",
            display_name="Developer's tracker",
            state="active",
        ),
        **PLAIN_HTTP,
    )
    assert to_api.scope.endswith("/apis/tracking")
    assert Subscription.objects.get(sid="dev-tracking").api.name == "tracking"
    listed = {s.name: s.scope for s in sdk.subscription.list(RG, SERVICE, **PLAIN_HTTP)}
    assert listed["dev-tracking"].endswith("/apis/tracking")
    assert listed["dev-logistics"].endswith("/products/logistics")
    api_tag = etag_of(sdk.subscription, RG, SERVICE, "dev-tracking")
    sdk.subscription.delete(RG, SERVICE, "dev-tracking", api_tag, **PLAIN_HTTP)
    api_services.delete_api(api=Api.objects.get(name="tracking"))

    # The developer's own view of it (User Subscription - Get).
    own = sdk.user_subscription.get(RG, SERVICE, developer.api_id, "dev-logistics", **PLAIN_HTTP)
    assert (own.name, own.display_name) == ("dev-logistics", "Developer's logistics app")

    # Delete what it made; what the SDK did shows in the console's data.
    sub_tag = etag_of(sdk.subscription, RG, SERVICE, "dev-logistics")
    sdk.subscription.delete(RG, SERVICE, "dev-logistics", sub_tag, **PLAIN_HTTP)
    sdk.product_group.delete(RG, SERVICE, "logistics", "partners", **PLAIN_HTTP)
    assert not ProductGroup.objects.filter(product__name="logistics", group__name="partners")
    product_tag = etag_of(sdk.product, RG, SERVICE, "logistics")
    sdk.product.delete(RG, SERVICE, "logistics", product_tag, **PLAIN_HTTP)
    sdk.group_user.delete(RG, SERVICE, "partners", developer.api_id, **PLAIN_HTTP)
    group_tag = etag_of(sdk.group, RG, SERVICE, "partners")
    sdk.group.delete(RG, SERVICE, "partners", group_tag, **PLAIN_HTTP)
    with pytest.raises(ResourceNotFoundError):
        sdk.group.get(RG, SERVICE, "partners", **PLAIN_HTTP)


def test_the_sdk_cannot_change_a_system_group(sdk):
    tag = etag_of(sdk.group, RG, SERVICE, "developers")
    with pytest.raises(HttpResponseError) as refused:
        sdk.group.delete(RG, SERVICE, "developers", tag, **PLAIN_HTTP)
    assert refused.value.status_code == 400
    assert Group.objects.filter(name="developers").exists()
