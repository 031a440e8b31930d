"""The OpenAPI document is read from the models and the serializers' tables, so it
can't drift from what the API sends and accepts."""

from __future__ import annotations

import pytest

from groups.models import Group
from management_api import serializers
from management_api.openapi import document, field_schema
from portal.models import User
from products.models import Product
from subscriptions.models import Subscription


def properties_of(schema_name):
    schema = document("http://testserver")["components"]["schemas"][schema_name]
    return schema["properties"]["properties"]["properties"]


@pytest.mark.parametrize(
    ("schema_name", "model", "choices"),
    [
        ("Group", Group, Group.Type.values),
        ("Product", Product, Product.State.values),
        ("User", User, User.State.values),
        ("Subscription", Subscription, Subscription.State.values),
    ],
)
def test_openapi_enums_are_the_models_choices(schema_name, model, choices):
    name = "type" if model is Group else "state"
    assert properties_of(schema_name)[name]["enum"] == choices


def test_openapi_lengths_and_ranges_are_the_models():
    product = properties_of("Product")
    assert product["displayName"]["maxLength"] == Product._meta.get_field("display_name").max_length
    assert product["terms"]["maxLength"] == Product._meta.get_field("terms").max_length
    assert product["subscriptionsLimit"] == {"type": ["integer", "null"], "minimum": 1}
    assert properties_of("User")["email"]["maxLength"] == 254


@pytest.mark.parametrize("table", serializers.RESOURCES, ids=lambda table: table.kind)
def test_openapi_lists_every_property_the_serializer_sends(table):
    schema_name = table.model.__name__
    assert list(properties_of(schema_name)) == [prop.name for prop in table.properties]


def test_openapi_field_schema_follows_a_new_choice():
    field = Product._meta.get_field("state").clone()
    field.choices = [*Product.State.choices, ("retired", "Retired")]
    assert field_schema(field)["enum"] == ["notPublished", "published", "retired"]


def test_openapi_request_bodies_offer_only_what_a_client_may_write():
    schemas = document("http://testserver")["components"]["schemas"]
    group_changes = schemas["GroupChanges"]["properties"]["properties"]["properties"]
    assert list(group_changes) == ["displayName", "description"]
    put = document("http://testserver")["paths"]["/groups/{groupId}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GroupChanges"
    }
