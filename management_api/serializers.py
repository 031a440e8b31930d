"""Portico's models in Azure API Management's JSON shapes.

Each resource is one table of properties: the Azure name, the model field it
comes from, and whether a client may write it. The serializers, the checks on
what a client sends, the names in validation errors and the OpenAPI document
(api/openapi.py) are all read from these tables and the models' fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models

from groups.models import Group
from management_api.azure import iso, resource, service_id
from portal.models import User
from products.models import Product
from subscriptions.models import Subscription


@dataclass(frozen=True)
class Property:
    name: str
    # The model field the value comes from; None for a computed property.
    field: str | None = None
    writable: bool = False
    # Null is accepted, as "empty" when written.
    nullable: bool = False
    # Sent as null when empty.
    empty_is_null: bool = False
    # A computed value, or one that differs from the field's.
    value: Callable[[Any], Any] | None = None
    # The JSON schema of a computed property.
    schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class Resource:
    kind: str
    model: type[models.Model]
    id_field: str
    properties: tuple[Property, ...]

    def serialize(self, item: Any) -> dict[str, Any]:
        return resource(
            self.kind,
            getattr(item, self.id_field),
            {prop.name: _value(prop, item) for prop in self.properties},
        )

    def model_field(self, name: str) -> models.Field:
        return self.model._meta.get_field(name)  # type: ignore[return-value]


def _value(prop: Property, item: Any) -> Any:
    if prop.value is not None:
        return prop.value(item)
    value = getattr(item, prop.field or prop.name)
    if isinstance(value, datetime):
        return iso(value)
    if prop.empty_is_null and value == "":
        return None
    return value


GROUP = Resource(
    kind="groups",
    model=Group,
    id_field="name",
    properties=(
        Property("displayName", "display_name", writable=True),
        Property("description", "description", writable=True, nullable=True),
        Property("builtIn", "built_in"),
        Property("type", "type"),
        Property("externalId", "external_id", nullable=True, empty_is_null=True),
    ),
)
PRODUCT = Resource(
    kind="products",
    model=Product,
    id_field="name",
    properties=(
        Property("displayName", "display_name", writable=True),
        Property("description", "description", writable=True, nullable=True),
        Property("terms", "terms", writable=True, nullable=True),
        Property("subscriptionRequired", "subscription_required", writable=True),
        # Azure leaves approval out (null) for products that need no subscription.
        Property(
            "approvalRequired",
            "approval_required",
            writable=True,
            nullable=True,
            value=lambda item: item.approval_required if item.subscription_required else None,
        ),
        Property("subscriptionsLimit", "subscriptions_limit", writable=True),
        Property("state", "state", writable=True),
    ),
)
USER = Resource(
    kind="users",
    model=User,
    id_field="api_id",
    properties=(
        Property("firstName", "first_name", writable=True),
        Property("lastName", "last_name", writable=True),
        Property("email", "email", writable=True),
        Property("state", "state", writable=True),
        Property("note", "note", writable=True, nullable=True, empty_is_null=True),
        Property("registrationDate", "registration_date"),
        Property(
            "identities",
            value=lambda item: [{"provider": "Basic", "id": item.email}],
            schema={"type": "array", "items": {"type": "object"}},
        ),
    ),
)
SUBSCRIPTION = Resource(
    kind="subscriptions",
    model=Subscription,
    id_field="sid",
    properties=(
        Property(
            "ownerId",
            "owner",
            value=lambda item: f"{service_id()}/users/{item.owner.api_id}" if item.owner else None,
            schema={"type": ["string", "null"]},
        ),
        Property(
            "scope",
            "product",
            value=lambda item: (
                f"{service_id()}/products/{item.product.name}"
                if item.product is not None
                else f"{service_id()}/apis/{item.api.name}"
            ),
            schema={"type": "string"},
        ),
        Property("displayName", "display_name", writable=True),
        Property("state", "state", writable=True),
        Property("createdDate", "created_at"),
        Property("startDate", "activated_at"),
        Property("expirationDate", "expires_at"),
        Property("endDate", "ended_at"),
        Property("notificationDate", value=lambda item: None, schema={"type": "null"}),
        Property("stateComment", "state_comment", writable=True, nullable=True, empty_is_null=True),
        Property("allowTracing", value=lambda item: False, schema={"type": "boolean"}),
    ),
)
RESOURCES = (GROUP, PRODUCT, USER, SUBSCRIPTION)

# Model field -> Azure property, for naming fields in validation errors.
AZURE_NAMES = {
    **{
        prop.field: prop.name
        for item in RESOURCES
        for prop in item.properties
        if prop.field is not None
    },
    "name": "name",
    "sid": "name",
    # A subscription's scope is its product or its API.
    "api": "scope",
    "api_id": "name",
    "display_name_key": "displayName",
    "primary_secret": "primaryKey",
    "secondary_secret": "secondaryKey",
}


def group(item: Group) -> dict[str, Any]:
    return GROUP.serialize(item)


def product(item: Product) -> dict[str, Any]:
    return PRODUCT.serialize(item)


def user(item: User) -> dict[str, Any]:
    return USER.serialize(item)


def group_user(item: User, group_name: str) -> dict[str, Any]:
    data = user(item)
    data["id"] = f"{service_id()}/groups/{group_name}/users/{item.api_id}"
    return data


def subscription(item: Subscription) -> dict[str, Any]:
    return SUBSCRIPTION.serialize(item)
