"""Azure's own SDK (azure-mgmt-apimanagement), pointed at a live Portico, manages groups,
products, users, subscriptions and APIs through management_api.views and management_api.azure."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.credentials import AccessToken as AzureToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiCreateOrUpdateParameter,
    ApiUpdateContract,
    GroupCreateParameters,
    GroupUpdateParameters,
    ProductContract,
    SubscriptionCreateParameters,
    SubscriptionUpdateParameters,
    UserTokenParameters,
)
from django.conf import settings
from django.test import Client
from django.utils import timezone

from apis import documents as api_documents
from apis import services as api_services
from apis.models import Api, ProductApi
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


def test_the_sdk_grants_a_subscription_on_a_product_the_developer_cannot_see(
    sdk, administrator, developer, mailoutbox
):
    """Azure creates it, waiting for approval when no state is sent; Portico marks it granted."""
    sdk.product.create_or_update(
        RG,
        SERVICE,
        "vault",
        ProductContract(display_name="Vault", subscription_required=True, state="published"),
        **PLAIN_HTTP,
    )
    granted = sdk.subscription.create_or_update(
        RG,
        SERVICE,
        "dev-vault",
        SubscriptionCreateParameters(
            owner_id=f"/users/{developer.api_id}", scope="/products/vault", display_name="Vault app"
        ),
        notify=True,
        **PLAIN_HTTP,
    )
    assert (granted.name, granted.state) == ("dev-vault", "submitted")
    made = Subscription.objects.get(sid="dev-vault")
    assert (made.owner, made.granted_by, made.beyond_sight) == (developer, administrator, True)
    assert [message.to for message in mailoutbox] == [[developer.email]]
    listed = sdk.user_subscription.list(RG, SERVICE, developer.api_id, **PLAIN_HTTP)
    assert [item.name for item in listed] == ["dev-vault"]


def test_the_sdk_reads_and_acts_on_a_user(sdk, developer, partners, mailoutbox):
    Membership.objects.create(group=partners, user=developer)
    # The user's body carries their groups; the identities, the sign-in methods.
    user = sdk.user.get(RG, SERVICE, developer.api_id, **PLAIN_HTTP)
    assert [group.display_name for group in user.groups] == ["Developers", "Partners"]
    identities = sdk.user_identities.list(RG, SERVICE, developer.api_id, **PLAIN_HTTP)
    assert [(i.provider, i.id) for i in identities] == [("Basic", "dev@example.com")]
    # Associations come back in Azure's scoped types.
    listed = list(sdk.user_group.list(RG, SERVICE, developer.api_id, **PLAIN_HTTP))
    assert {g.type for g in listed} == {"Microsoft.ApiManagement/service/users/groups"}

    # A one-time sign-in link, which signs the developer in to the portal.
    link = sdk.user.generate_sso_url(RG, SERVICE, developer.api_id, **PLAIN_HTTP).value
    token = parse_qs(urlsplit(link).query)["token"][0]
    browser = Client()
    assert browser.post(urlsplit(link).path, {"token": token}).status_code == 302
    assert browser.session["_auth_user_id"] == str(developer.pk)

    # A shared access token in Azure's format.
    expiry = timezone.now() + timedelta(days=7)
    shared = sdk.user.get_shared_access_token(
        RG,
        SERVICE,
        developer.api_id,
        UserTokenParameters(key_type="secondary", expiry=expiry),
        **PLAIN_HTTP,
    ).value
    assert shared.split("&")[:2] == [developer.api_id, expiry.strftime("%Y%m%d%H%M")]
    with pytest.raises(HttpResponseError) as past:
        sdk.user.get_shared_access_token(
            RG,
            SERVICE,
            developer.api_id,
            UserTokenParameters(key_type="primary", expiry=timezone.now() - timedelta(hours=1)),
            **PLAIN_HTTP,
        )
    assert past.value.status_code == 400

    # The password email.
    sdk.user_confirmation_password.send(
        RG, SERVICE, developer.api_id, app_type="developerPortal", **PLAIN_HTTP
    )
    assert [email.to for email in mailoutbox] == [["dev@example.com"]]


def test_the_sdk_round_trips_allow_tracing(sdk, developer, developers):
    sdk.product.create_or_update(
        RG, SERVICE, "open", ProductContract(display_name="Open", state="published"), **PLAIN_HTTP
    )
    sdk.product_group.create_or_update(RG, SERVICE, "open", "developers", **PLAIN_HTTP)
    created = sdk.subscription.create_or_update(
        RG,
        SERVICE,
        "traced",
        SubscriptionCreateParameters(
            owner_id=f"/users/{developer.api_id}",
            scope="/products/open",
            display_name="Traced",
            allow_tracing=True,
        ),
        **PLAIN_HTTP,
    )
    assert created.allow_tracing is True
    tag = etag_of(sdk.subscription, RG, SERVICE, "traced")
    updated = sdk.subscription.update(
        RG, SERVICE, "traced", tag, SubscriptionUpdateParameters(allow_tracing=False), **PLAIN_HTTP
    )
    assert updated.allow_tracing is False
    assert Subscription.objects.get(sid="traced").allow_tracing is False
    by_product = list(sdk.product_subscriptions.list(RG, SERVICE, "open", **PLAIN_HTTP))
    assert by_product[0].id.endswith("/products/open/subscriptions/traced")


def test_the_sdk_imports_an_api_and_puts_it_in_a_product(sdk):
    text = openapi_text("Shipments")
    poller = sdk.api.begin_create_or_update(
        RG,
        SERVICE,
        "shipments",
        ApiCreateOrUpdateParameter(format="openapi+json", value=text, path="shipments"),
        **PLAIN_HTTP,
    )
    # Done when the PUT answers: the poller never waits (provisioningState Succeeded).
    assert poller.done()
    created = poller.result()
    assert (created.name, created.display_name, created.path) == (
        "shipments",
        "Shipments",
        "shipments",
    )
    assert created.protocols == ["https"] and created.is_current is True
    fetched = sdk.api.get(RG, SERVICE, "shipments", **PLAIN_HTTP)
    assert fetched.description == "The Shipments API."
    assert sdk.api.get_entity_tag(RG, SERVICE, "shipments", **PLAIN_HTTP)
    listed = [a.name for a in sdk.api.list_by_service(RG, SERVICE, **PLAIN_HTTP)]
    assert listed == ["shipments"]

    # Its operations, read from the document.
    operations = sdk.api_operation.list_by_api(RG, SERVICE, "shipments", **PLAIN_HTTP)
    assert [(o.name, o.method, o.url_template) for o in operations] == [
        ("listShipments", "GET", "/shipments"),
        ("createShipment", "POST", "/shipments"),
        ("getShipment", "GET", "/shipments/{id}"),
        ("cancelShipment", "DELETE", "/shipments/{id}"),
    ]
    one = sdk.api_operation.get(RG, SERVICE, "shipments", "getShipment", **PLAIN_HTTP)
    assert [p.name for p in one.template_parameters] == ["id"]
    assert one.template_parameters[0].required is True

    # Settings change with the entity tag.
    tag = etag_of(sdk.api, RG, SERVICE, "shipments")
    sdk.api.update(
        RG, SERVICE, "shipments", tag, ApiUpdateContract(display_name="Parcels"), **PLAIN_HTTP
    )
    assert Api.objects.get(name="shipments").display_name == "Parcels"

    # Into a product, and out of it.
    sdk.product.create_or_update(
        RG, SERVICE, "logistics", ProductContract(display_name="Logistics"), **PLAIN_HTTP
    )
    added = sdk.product_api.create_or_update(RG, SERVICE, "logistics", "shipments", **PLAIN_HTTP)
    assert added.name == "shipments"
    assert sdk.product_api.check_entity_exists(RG, SERVICE, "logistics", "shipments", **PLAIN_HTTP)
    in_product = sdk.product_api.list_by_product(RG, SERVICE, "logistics", **PLAIN_HTTP)
    assert [a.name for a in in_product] == ["shipments"]
    products = sdk.api_product.list_by_apis(RG, SERVICE, "shipments", **PLAIN_HTTP)
    assert [(p.name, p.display_name) for p in products] == [("logistics", "Logistics")]
    sdk.product_api.delete(RG, SERVICE, "logistics", "shipments", **PLAIN_HTTP)
    assert not ProductApi.objects.exists()

    # Deleted (a long-running operation for the SDK, done at once by Portico).
    tag = etag_of(sdk.api, RG, SERVICE, "shipments")
    sdk.api.begin_delete(RG, SERVICE, "shipments", tag, **PLAIN_HTTP).result()
    with pytest.raises(ResourceNotFoundError):
        sdk.api.get(RG, SERVICE, "shipments", **PLAIN_HTTP)


def test_the_sdk_hears_why_a_document_is_refused(sdk):
    with pytest.raises(HttpResponseError) as refused:
        sdk.api.begin_create_or_update(
            RG,
            SERVICE,
            "petstore",
            ApiCreateOrUpdateParameter(
                format="openapi-link",
                value="https://example.com/petstore.yaml",
                path="petstore",
            ),
            **PLAIN_HTTP,
        )
    assert refused.value.status_code == 400
    assert "fetches nothing from the network" in refused.value.message
    assert not Api.objects.exists()
