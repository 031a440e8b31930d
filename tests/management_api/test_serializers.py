"""management_api.serializers: Portico's rows in Azure API Management's JSON shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from groups.models import Group
from management_api import serializers
from management_api.azure import service_id
from portal.models import User
from subscriptions.models import Subscription

MOMENT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def envelope(kind, name):
    return {
        "id": f"{service_id()}/{kind}/{name}",
        "type": f"Microsoft.ApiManagement/service/{kind}",
        "name": name,
    }


def test_group_serializes_in_azures_envelope(partners, external, administrators):
    assert serializers.group(partners) == envelope("groups", "partners") | {
        "properties": {
            "displayName": "Partners",
            "description": "Partner companies",
            "builtIn": False,
            "type": "custom",
            "externalId": None,  # empty is null
        }
    }
    assert serializers.group(external)["properties"]["externalId"] == "aad://x"
    assert serializers.group(administrators)["properties"]["builtIn"] is True


def test_product_serializes_its_settings(product):
    assert serializers.product(product) == envelope("products", "payments") | {
        "properties": {
            "displayName": "Payments",
            "description": "Take payments",
            "terms": "",
            "subscriptionRequired": True,
            "approvalRequired": False,
            "subscriptionsLimit": None,
            "state": "published",
        }
    }


def test_product_without_subscription_leaves_approval_null(make_product):
    open_data = make_product("Open Data", subscription_required=False)
    assert serializers.product(open_data)["properties"]["approvalRequired"] is None


def test_user_serializes_under_its_api_id_with_iso_dates(make_user):
    person = make_user(email="ann@example.com", first_name="Ann", last_name="Lee", api_id="ann-1")
    User.objects.filter(pk=person.pk).update(registration_date=MOMENT)
    person.refresh_from_db()
    assert serializers.user(person) == envelope("users", "ann-1") | {
        "properties": {
            "firstName": "Ann",
            "lastName": "Lee",
            "email": "ann@example.com",
            "state": "active",
            "note": None,
            "registrationDate": "2024-01-02T03:04:05Z",
            "identities": [{"provider": "Basic", "id": "ann@example.com"}],
            "groups": [
                {
                    "displayName": "Developers",
                    "description": Group.objects.get(name="developers").description,
                    "builtIn": True,
                    "type": "system",
                    "externalId": None,
                }
            ],
        }
    }
    person.note = "VIP"
    assert serializers.user(person)["properties"]["note"] == "VIP"


def test_user_without_a_password_has_no_identity(make_user):
    invited = make_user(password=None)
    assert serializers.user(invited)["properties"]["identities"] == []


def test_user_groups_are_the_stored_and_the_derived_ones_by_name(member, administrator):
    assert [g["displayName"] for g in serializers.user(member)["properties"]["groups"]] == [
        "Developers",
        "Partners",
    ]
    assert [g["type"] for g in serializers.user(administrator)["properties"]["groups"]] == [
        "system",
        "system",
    ]


def test_user_groups_given_by_a_list_view_are_used_as_they_are(member, partners):
    member.api_groups = [partners]
    assert serializers.user(member)["properties"]["groups"] == [
        serializers.group(partners)["properties"]
    ]


def test_group_user_keeps_the_users_id_under_azures_association_type(member):
    data = serializers.group_user(member)
    assert data["id"] == f"{service_id()}/users/{member.api_id}"
    assert data["type"] == "Microsoft.ApiManagement/service/groups/users"
    assert data["properties"] == serializers.user(member)["properties"]


def test_groups_listed_under_a_product_or_a_user_are_addressed_under_it(partners, member):
    listed = serializers.product_group(partners, "payments")
    assert listed["id"] == f"{service_id()}/products/payments/groups/partners"
    assert listed["type"] == "Microsoft.ApiManagement/service/products/groups"
    linked = serializers.product_group_link(partners)
    assert linked["id"] == f"{service_id()}/groups/partners"
    assert linked["type"] == "Microsoft.ApiManagement/service/products/groups"
    mine = serializers.user_group(partners, member.api_id)
    assert mine["id"] == f"{service_id()}/users/{member.api_id}/groups/partners"
    assert mine["type"] == "Microsoft.ApiManagement/service/users/groups"
    assert listed["properties"] == linked["properties"] == mine["properties"]


def test_subscriptions_listed_under_a_product_or_a_user_are_addressed_under_it(
    subscription, member
):
    sid = subscription.sid
    by_product = serializers.product_subscription(subscription)
    assert by_product["id"] == f"{service_id()}/products/payments/subscriptions/{sid}"
    assert by_product["type"] == "Microsoft.ApiManagement/service/products/subscriptions"
    by_user = serializers.user_subscription(subscription, member.api_id)
    assert by_user["id"] == f"{service_id()}/users/{member.api_id}/subscriptions/{sid}"
    assert by_user["type"] == "Microsoft.ApiManagement/service/users/subscriptions"


def test_subscription_serializes_owner_scope_and_dates(subscription, member):
    Subscription.objects.filter(pk=subscription.pk).update(created_at=MOMENT, activated_at=MOMENT)
    subscription.refresh_from_db()
    assert serializers.subscription(subscription) == envelope("subscriptions", subscription.sid) | {
        "properties": {
            "ownerId": f"{service_id()}/users/{member.api_id}",
            "scope": f"{service_id()}/products/payments",
            "displayName": "App",
            "state": "active",
            "createdDate": "2024-01-02T03:04:05Z",
            "startDate": "2024-01-02T03:04:05Z",
            "expirationDate": None,
            "endDate": None,
            "notificationDate": None,
            "stateComment": None,
            "allowTracing": False,
        }
    }
    Subscription.objects.filter(pk=subscription.pk).update(allow_tracing=True)
    subscription.refresh_from_db()
    assert serializers.subscription(subscription)["properties"]["allowTracing"] is True


def test_subscription_without_an_owner_has_a_null_owner(product, make_subscription):
    data = serializers.subscription(make_subscription(None, product, state_comment="Moved"))
    assert data["properties"]["ownerId"] is None
    assert data["properties"]["stateComment"] == "Moved"


@pytest.mark.parametrize(
    ("field", "azure"),
    [
        ("subscriptions_limit", "subscriptionsLimit"),
        ("display_name_key", "displayName"),
        ("display_name", "displayName"),
        ("first_name", "firstName"),
        ("created_at", "createdDate"),
        ("owner", "ownerId"),
        ("sid", "name"),
        ("api_id", "name"),
        ("primary_secret", "primaryKey"),
    ],
)
def test_azure_names_maps_model_fields(field, azure):
    assert serializers.AZURE_NAMES[field] == azure


def test_every_writable_property_names_an_editable_model_field():
    writable = [(r, p) for r in serializers.RESOURCES for p in r.properties if p.writable]
    assert {resource.kind for resource, _ in writable} == {
        "groups",
        "products",
        "users",
        "subscriptions",
        "apis",
    }
    for resource, prop in writable:
        assert prop.field is not None, prop.name
        assert resource.model_field(prop.field).editable, prop.name


def test_resources_cover_every_kind_once():
    kinds = [resource.kind for resource in serializers.RESOURCES]
    assert kinds == ["groups", "products", "users", "subscriptions", "apis", "operations"]
    assert serializers.GROUP.model is Group
