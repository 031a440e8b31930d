"""management_api.views.resources: what every resource refuses alike, in Azure's error shape."""

from __future__ import annotations

import pytest

from groups.models import Group
from portal.models import User
from products.models import Product
from tests.management_api.helpers import (
    SYSTEM_GROUPS,
    assert_azure_error,
    body,
    url,
)


@pytest.mark.parametrize(
    ("path", "properties"),
    [
        ("groups/partners", {"displayName": "Partners", "colour": "red"}),
        ("products/logistics", {"displayName": "Logistics", "visibility": "everyone"}),
        (
            "users/una",
            {"email": "una@example.com", "firstName": "Una", "lastName": "U", "isAdmin": True},
        ),
    ],
)
def test_unknown_property_is_400_and_creates_nothing(client, bearer, path, properties):
    response = client.put(url(path), body(**properties), "application/json", **bearer)
    error = assert_azure_error(response, 400, "ValidationError")
    unknown = (set(properties) - {"displayName", "email", "firstName", "lastName"}).pop()
    assert unknown in error["message"]
    assert not Group.objects.filter(name="partners").exists()
    assert not Product.objects.exists()
    assert not User.objects.filter(email="una@example.com").exists()


def test_unknown_property_on_patch_is_400_and_changes_nothing(client, bearer, partners):
    response = client.patch(
        url("groups/partners"),
        body(displayName="Renamed", colour="red"),
        "application/json",
        HTTP_IF_MATCH="*",
        **bearer,
    )
    assert_azure_error(response, 400, "ValidationError")
    partners.refresh_from_db()
    assert partners.display_name == "Partners"


@pytest.mark.parametrize(
    ("path", "properties", "target"),
    [
        ("groups/partners", {}, "displayName"),
        ("groups/partners", {"displayName": "x" * 301}, "displayName"),
        ("groups/new", {"displayName": "New"}, "name"),
        ("products/logistics", {"displayName": "Logistics", "state": "live"}, "state"),
        ("products/logistics", {"displayName": "Logistics", "subscriptionsLimit": 0}, None),
        (
            "users/una",
            {"email": "not-an-email", "firstName": "Una", "lastName": "U"},
            "email",
        ),
    ],
)
def test_invalid_values_are_400_naming_the_property(client, bearer, path, properties, target):
    response = client.put(url(path), body(**properties), "application/json", **bearer)
    error = assert_azure_error(response, 400, "ValidationError")
    if target is not None:
        assert target in {detail.get("target") for detail in error["details"]}
    assert Group.objects.count() == len(SYSTEM_GROUPS)
    assert not Product.objects.exists()


def test_nul_character_in_a_value_is_refused_or_kept(client, bearer):
    response = client.put(
        url("groups/partners"), body(displayName="Part\x00ners"), "application/json", **bearer
    )
    if response.status_code == 400:
        assert_azure_error(response, 400, "ValidationError")
        assert not Group.objects.filter(name="partners").exists()
    else:
        assert response.status_code == 201
        fetched = client.get(url("groups/partners"), **bearer)
        assert fetched.json()["properties"]["displayName"] == "Part\x00ners"


@pytest.mark.parametrize("path", ["groups/a%00b", "users/a%00b", "subscriptions/a%00b"])
def test_nul_character_in_an_id_is_404(client, bearer, path):
    response = client.get(url(path), **bearer)
    assert_azure_error(response, 404, "ResourceNotFound")
