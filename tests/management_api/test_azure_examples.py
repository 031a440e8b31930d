"""Azure's published examples (api-version 2024-05-01) replayed against Portico: each
request of tests/management_api/azure_examples.py, sent with an administrator's token,
answers the status, keys, JSON types, `type` strings and ID forms the example shows."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from groups import services as group_services
from products import services as product_services
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.management_api.azure_examples import EXAMPLES, Example
from tests.management_api.helpers import SERVICE, url

JSON_TYPES = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}


@pytest.fixture
def world(make_user, administrator, developers):
    """The rows the examples name, with every property an example shows filled in."""
    partners = group_services.create_group(
        name="partners", display_name="Partners", description="Partner companies"
    )
    beta = group_services.create_group(name="beta", display_name="Beta", description="Testers")
    external = group_services.create_group(
        name="awesome",
        display_name="AwesomeGroup (example.onmicrosoft.com)",
        description="awesome group of people",
        external_id="aad://example.onmicrosoft.com/groups/3773adf4-032e-4d25-9988-eaff9ca72eca",
    )
    user = make_user(email="user1@example.com", first_name="user1", last_name="lastname1")
    outsider = make_user(email="foo.bar@example.com", first_name="foo", last_name="bar")
    for person in (user, outsider, administrator):
        person.note = f"note for {person.first_name}"
        person.save(update_fields=["note"])
    group_services.add_members(group=partners, users=[user], added_by=None)
    product = product_services.create_product(
        name="unlimited",
        display_name="Unlimited",
        description="Subscribers have completely unlimited access to the API.",
        state=Product.State.PUBLISHED,
        approval_required=True,
        subscriptions_limit=1,
        groups=[partners, developers],
    )
    subscription = subscription_services.create_subscription(
        sid="5fa9b096f3df14003c070001",
        owner=user,
        product=product,
        display_name="Unlimited",
        state=Subscription.State.ACTIVE,
        allow_tracing=True,
        actor=administrator,
    )
    # Azure's audit dates, which no service sets: the example shows one.
    Subscription.objects.filter(pk=subscription.pk).update(
        expires_at=timezone.now() + timedelta(days=30)
    )
    tomorrow = timezone.now() + timedelta(days=1)
    return SimpleNamespace(
        user=user.api_id,
        outsider=outsider.api_id,
        group=partners.name,
        beta=beta.name,
        external=external.name,
        product=product.name,
        sid=subscription.sid,
        service=SERVICE,
        # Written as Azure's example writes its expiry: seven digits of a second, Z.
        tomorrow=tomorrow.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
    )


def fill(text: str, world: SimpleNamespace, *, pattern: bool = False, **more: str) -> str:
    for name, value in {**vars(world), **more}.items():
        text = text.replace("{" + name + "}", re.escape(value) if pattern else value)
    return text


def filled(value: Any, world: SimpleNamespace) -> Any:
    if isinstance(value, str):
        return fill(value, world)
    if isinstance(value, dict):
        return {key: filled(item, world) for key, item in value.items()}
    return value


def send(client: Any, bearer: dict[str, str], example: Example, world: SimpleNamespace) -> Any:
    path = url(fill(example.path, world), **example.query)
    headers = dict(bearer)
    if example.method == "PATCH":
        headers["HTTP_IF_MATCH"] = "*"
    data = ""
    if example.request is not None:
        data = json.dumps({"properties": filled(example.request, world)})
    if example.method == "GET":
        return client.get(path, **headers)
    return getattr(client, example.method.lower())(path, data, "application/json", **headers)


def check_types(where: str, data: dict, expected: dict[str, tuple[str, ...]]) -> None:
    for key, types in expected.items():
        assert key in data, f"{where}: no '{key}'"
        assert JSON_TYPES[type(data[key])] in types, f"{where}: '{key}' is {data[key]!r}"


def check_resource(example: Example, item: dict, world: SimpleNamespace) -> None:
    where = f"{example} {item.get('name')}"
    check_types(where, item, {"id": ("string",), "type": ("string",), "name": ("string",)})
    assert item["type"] == example.type, where
    assert example.id is not None
    assert item["id"] == SERVICE + fill(example.id, world, name=item["name"]), where
    check_types(where, item["properties"], example.properties)
    for key, keys in example.items.items():
        for element in item["properties"][key]:
            check_types(f"{where} {key}", element, keys)


def check_pattern(example: Example, data: dict, world: SimpleNamespace) -> None:
    for key, pattern in example.value_pattern.items():
        assert re.match(fill(pattern, world, pattern=True), data[key]), data[key]


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_portico_answers_azures_published_example(
    client, bearer, world, example, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, bearer, example, world)
    assert response.status_code == example.status, response.content
    if example.status == 204:
        assert response.content == b""
        return
    data = response.json()
    check_types(str(example), data, example.keys)
    check_pattern(example, data, world)
    if example.listed_keys:
        assert data["value"], "the replay's rows make the list non-empty"
        for element in data["value"]:
            check_types(str(example), element, example.listed_keys)
    elif example.is_list:
        assert data["value"], "the replay's rows make the list non-empty"
        for item in data["value"]:
            check_resource(example, item, world)
        for key, types in example.some_properties.items():
            assert any(
                key in item["properties"] and JSON_TYPES[type(item["properties"][key])] in types
                for item in data["value"]
            ), f"{example}: no item has '{key}' as {types}"
    elif example.type is not None:
        check_resource(example, data, world)


def test_every_family_the_issue_names_is_replayed():
    paths = {
        re.sub(r"\{\w+\}|[^/]*\d[^/]*|tempgroup|aadGroup|testsub|testproduct", "*", e.path)
        for e in EXAMPLES
    }
    for family in [
        "groups",
        "groups/*/users",
        "products/*/groups",
        "users",
        "users/*/groups",
        "users/*/subscriptions",
        "products/*/subscriptions",
        "subscriptions",
        "users/*/identities",
        "users/*/generateSsoUrl",
        "users/*/token",
        "users/*/confirmations/password/send",
    ]:
        assert family in paths, family


def test_a_shape_the_example_does_not_show_fails_the_check(world):
    """The checker itself: another type string, ID or property type is caught."""
    example = next(e for e in EXAMPLES if e.source == "ApiManagementListUserGroups.json")
    good = {
        "id": f"{SERVICE}/users/{world.user}/groups/partners",
        "type": "Microsoft.ApiManagement/service/users/groups",
        "name": "partners",
        "properties": {
            "displayName": "Partners",
            "description": "",
            "builtIn": False,
            "type": "custom",
        },
    }
    check_resource(example, good, world)
    for broken in [
        good | {"type": "Microsoft.ApiManagement/service/groups"},
        good | {"id": f"{SERVICE}/groups/partners"},
        good | {"properties": good["properties"] | {"builtIn": "false"}},
        good | {"properties": {"displayName": "Partners"}},
    ]:
        with pytest.raises(AssertionError):
            check_resource(example, broken, world)
