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

from apis.documents import resolve
from apis.models import PROTOCOLS, Api, Operation
from audit.models import Record
from groups.models import Group, groups_of
from management_api.azure import PROVIDER, iso, resource, service_id
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


def _group_properties(item: Group) -> dict[str, Any]:
    return {prop.name: _value(prop, item) for prop in GROUP.properties}


def _user_groups(item: User) -> list[dict[str, Any]]:
    """The groups a person is in, as Azure's GroupContractProperties.

    A list view hands them over in `api_groups` (groups_of_many, a constant
    number of queries); one user alone asks for them.
    """
    groups = getattr(item, "api_groups", None)
    if groups is None:
        groups = list(groups_of(item).order_by("name"))
    return [_group_properties(group) for group in groups]


def identities(item: User) -> list[dict[str, str]]:
    """How the person signs in: Basic is an email address and a password."""
    return [{"provider": "Basic", "id": item.email}] if item.has_usable_password() else []


IDENTITY_SCHEMA = {
    "type": "object",
    "properties": {"provider": {"type": "string"}, "id": {"type": "string"}},
    "required": ["provider", "id"],
}

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
            value=identities,
            schema={"type": "array", "items": IDENTITY_SCHEMA},
        ),
        Property(
            "groups",
            value=_user_groups,
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
        Property("allowTracing", "allow_tracing", writable=True),
    ),
)
# The names Azure's gateway reads a subscription key from; Portico's are fixed.
SUBSCRIPTION_KEY_NAMES = {"header": "Ocp-Apim-Subscription-Key", "query": "subscription-key"}
API = Resource(
    kind="apis",
    model=Api,
    id_field="name",
    properties=(
        Property("displayName", "display_name", writable=True),
        Property("apiRevision", "api_revision", writable=True),
        Property("description", "description", writable=True, nullable=True),
        Property("serviceUrl", "service_url", writable=True, nullable=True, empty_is_null=True),
        Property("path", "path", writable=True),
        # Stored as "http,https"; Azure sends and reads a list.
        Property(
            "protocols",
            "protocols",
            writable=True,
            value=lambda item: item.protocol_list,
            schema={"type": "array", "items": {"type": "string", "enum": list(PROTOCOLS)}},
        ),
        Property("apiVersion", "api_version", writable=True, nullable=True, empty_is_null=True),
        Property("subscriptionRequired", "subscription_required", writable=True),
        # Portico has no revisions: each API is its only, current one.
        Property("isCurrent", value=lambda item: True, schema={"type": "boolean"}),
        Property("type", value=lambda item: "http", schema={"type": "string", "enum": ["http"]}),
        Property(
            "subscriptionKeyParameterNames",
            value=lambda item: dict(SUBSCRIPTION_KEY_NAMES),
            schema={
                "type": "object",
                "properties": {"header": {"type": "string"}, "query": {"type": "string"}},
            },
        ),
        # Imports are done when the PUT answers; Azure's SDK stops polling on this.
        Property(
            "provisioningState",
            value=lambda item: "Succeeded",
            schema={"type": "string", "enum": ["Succeeded"]},
        ),
    ),
)
OPERATION = Resource(
    kind="operations",
    model=Operation,
    id_field="name",
    properties=(
        Property("displayName", "display_name"),
        Property("method", "method"),
        Property("urlTemplate", "url_template"),
        Property("description", "description"),
        Property(
            "templateParameters",
            value=lambda item: template_parameters(item),
            schema={"type": "array", "items": {"type": "object"}},
        ),
        Property(
            "request",
            value=lambda item: request_of(item),
            schema={"type": "object"},
        ),
        Property(
            "responses",
            value=lambda item: responses_of(item),
            schema={"type": "array", "items": {"type": "object"}},
        ),
    ),
)
RESOURCES = (GROUP, PRODUCT, USER, SUBSCRIPTION, API, OPERATION)

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


def subscription(item: Subscription) -> dict[str, Any]:
    return SUBSCRIPTION.serialize(item)


# Entities listed under another resource. Azure's type names both kinds;
# its id is under the parent in some lists and not in others, each as
# Azure's published examples for api-version 2024-05-01 answer.


def _under(data: dict[str, Any], kind: str, path: str | None = None) -> dict[str, Any]:
    data["type"] = f"{PROVIDER}/{kind}"
    if path is not None:
        data["id"] = f"{service_id()}/{path}"
    return data


def group_user(item: User) -> dict[str, Any]:
    """A member of a group (groups/{groupId}/users): the user's own id."""
    return _under(user(item), "groups/users")


def product_group(item: Group, product_name: str) -> dict[str, Any]:
    """A group listed under a product (products/{productId}/groups)."""
    return _under(group(item), "products/groups", f"products/{product_name}/groups/{item.name}")


def product_group_link(item: Group) -> dict[str, Any]:
    """The group a PUT products/{productId}/groups/{groupId} linked: the group's own id."""
    return _under(group(item), "products/groups")


def user_group(item: Group, user_id: str) -> dict[str, Any]:
    """A group listed under a user (users/{userId}/groups)."""
    return _under(group(item), "users/groups", f"users/{user_id}/groups/{item.name}")


def product_subscription(item: Subscription) -> dict[str, Any]:
    """A subscription listed under its product (products/{productId}/subscriptions)."""
    assert item.product is not None
    return _under(
        subscription(item),
        "products/subscriptions",
        f"products/{item.product.name}/subscriptions/{item.sid}",
    )


def user_subscription(item: Subscription, user_id: str) -> dict[str, Any]:
    """A subscription under its owner (users/{userId}/subscriptions, and one of them)."""
    return _under(
        subscription(item), "users/subscriptions", f"users/{user_id}/subscriptions/{item.sid}"
    )


def api(item: Api) -> dict[str, Any]:
    return API.serialize(item)


def product_api(item: Api, product_name: str) -> dict[str, Any]:
    """An API as a product lists it: Azure names it under the product."""
    data = api(item)
    data["id"] = f"{service_id()}/products/{product_name}/apis/{item.name}"
    data["type"] = f"{PROVIDER}/products/apis"
    return data


def api_product(item: Product) -> dict[str, Any]:
    """A product as an API lists it (Azure's Api Product - List By Apis)."""
    data = product(item)
    data["type"] = f"{PROVIDER}/apis/products"
    return data


def operation(item: Operation) -> dict[str, Any]:
    """An operation of an API; item.api is the API, whose document it is read from."""
    data = OPERATION.serialize(item)
    data["id"] = f"{service_id()}/apis/{item.api.name}/operations/{item.name}"
    data["type"] = f"{PROVIDER}/apis/operations"
    return data


# --- What an operation's document says of its parameters and responses ----------


def _spec(item: Operation) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The document, the path item and the operation object an operation came from."""
    content = item.api.document if isinstance(item.api.document, dict) else {}
    path_item = _object((content.get("paths") or {}).get(item.url_template), content)
    return content, path_item, _object(path_item.get(item.method.lower()), content)


def _object(value: Any, content: dict[str, Any]) -> dict[str, Any]:
    """A dict of the document, following a local $ref; {} for anything else."""
    if isinstance(value, dict) and isinstance(value.get("$ref"), str):
        value = resolve(content, value["$ref"])
    return value if isinstance(value, dict) else {}


def _parameters(item: Operation) -> list[dict[str, Any]]:
    """The operation's parameters, its path item's included, $refs followed."""
    content, path_item, spec = _spec(item)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(path_item.get("parameters") or []), *(spec.get("parameters") or [])]:
        parameter = _object(raw, content)
        if isinstance(parameter.get("name"), str) and isinstance(parameter.get("in"), str):
            found[(parameter["in"], parameter["name"])] = parameter
    return list(found.values())


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    """A parameter in Azure's ParameterContract shape."""
    schema = parameter.get("schema") if isinstance(parameter.get("schema"), dict) else parameter
    kind = schema.get("type") if isinstance(schema, dict) else None
    shown: dict[str, Any] = {
        "name": parameter["name"],
        "description": str(parameter.get("description") or ""),
        "type": kind if isinstance(kind, str) else "string",
        "required": bool(parameter.get("required")),
        "values": [],
    }
    if isinstance(schema, dict) and isinstance(schema.get("enum"), list):
        shown["values"] = [str(value) for value in schema["enum"]]
    return shown


def template_parameters(item: Operation) -> list[dict[str, Any]]:
    return [_parameter(p) for p in _parameters(item) if p["in"] == "path"]


def _media_types(content: dict[str, Any], spec: dict[str, Any], body: Any, key: str) -> list[str]:
    """Media types of a request body or response: OpenAPI 3's content, Swagger's lists."""
    if isinstance(body, dict) and isinstance(body.get("content"), dict):
        return [str(name) for name in body["content"]]
    listed = spec.get(key) or content.get(key) or []
    return [str(name) for name in listed] if isinstance(listed, list) else []


def request_of(item: Operation) -> dict[str, Any]:
    content, _, spec = _spec(item)
    parameters = _parameters(item)
    body = _object(spec.get("requestBody"), content)
    has_body = bool(body) or any(p["in"] in ("body", "formData") for p in parameters)
    types = _media_types(content, spec, body, "consumes") if has_body else []
    return {
        "description": str(body.get("description") or ""),
        "queryParameters": [_parameter(p) for p in parameters if p["in"] == "query"],
        "headers": [_parameter(p) for p in parameters if p["in"] == "header"],
        "representations": [{"contentType": name} for name in types],
    }


def responses_of(item: Operation) -> list[dict[str, Any]]:
    """Responses with a numeric status (Azure's statusCode is a number; "default" has none)."""
    content, _, spec = _spec(item)
    responses = spec.get("responses") if isinstance(spec.get("responses"), dict) else {}
    shown = []
    for code, raw in (responses or {}).items():
        if not str(code).isdigit():
            continue
        response = _object(raw, content)
        headers = response.get("headers") if isinstance(response.get("headers"), dict) else {}
        shown.append(
            {
                "statusCode": int(code),
                "description": str(response.get("description") or ""),
                "representations": [
                    {"contentType": name}
                    for name in _media_types(content, spec, response, "produces")
                    if "schema" in response or "content" in response
                ],
                "headers": [
                    _parameter({"name": name, **_object(header, content)})
                    for name, header in (headers or {}).items()
                ],
            }
        )
    return shown


# The activity record (read-only): Portico's own resource, in Azure's envelope.

ACTIVITY_RECORDS = "activityRecords"


def _end(kind: str, pk: str, label: str) -> dict[str, Any] | None:
    return {"kind": kind, "id": pk, "name": label} if kind else None


def activity_record(item: Record) -> dict[str, Any]:
    """Who changed what and when, from where, the values before and after, and the cause."""
    return resource(
        ACTIVITY_RECORDS,
        str(item.pk),
        {
            "timestamp": iso(item.at),
            "action": item.action,
            "actor": {
                "kind": item.actor_kind,
                "id": item.actor_id,
                "name": item.actor_label,
                "onBehalfOf": item.on_behalf_of,
                "via": item.via,
                "address": item.address,
            },
            "object": _end(item.object_kind, item.object_id, item.object_label),
            "related": _end(item.related_kind, item.related_id, item.related_label),
            "before": item.before,
            "after": item.after,
            "causeId": str(item.cause_id) if item.cause_id is not None else None,
        },
    )
