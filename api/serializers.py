"""Portico's models in Azure API Management's JSON shapes."""

from __future__ import annotations

from typing import Any

from api.azure import iso, resource, service_id
from groups.models import Group
from portal.models import User
from products.models import Product
from subscriptions.models import Subscription

GROUP_FIELDS = {"displayName": "display_name", "description": "description"}
PRODUCT_FIELDS = {
    "displayName": "display_name",
    "description": "description",
    "terms": "terms",
    "subscriptionRequired": "subscription_required",
    "approvalRequired": "approval_required",
    "subscriptionsLimit": "subscriptions_limit",
    "state": "state",
}
USER_FIELDS = {
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "note": "note",
    "state": "state",
}
# Model field -> Azure property, for naming fields in validation errors.
AZURE_NAMES = {
    **{model: azure for azure, model in GROUP_FIELDS.items()},
    **{model: azure for azure, model in PRODUCT_FIELDS.items()},
    **{model: azure for azure, model in USER_FIELDS.items()},
    "name": "name",
    "display_name_key": "displayName",
    "external_id": "externalId",
    "subscription_required": "subscriptionRequired",
    "approval_required": "approvalRequired",
    "subscriptions_limit": "subscriptionsLimit",
    "sid": "name",
    "primary_secret": "primaryKey",
    "secondary_secret": "secondaryKey",
    "owner": "ownerId",
    "product": "scope",
}


def group(item: Group) -> dict[str, Any]:
    return resource(
        "groups",
        item.name,
        {
            "displayName": item.display_name,
            "description": item.description,
            "builtIn": item.built_in,
            "type": item.type,
            "externalId": item.external_id or None,
        },
    )


def product(item: Product) -> dict[str, Any]:
    return resource(
        "products",
        item.name,
        {
            "displayName": item.display_name,
            "description": item.description,
            "terms": item.terms,
            "subscriptionRequired": item.subscription_required,
            "approvalRequired": item.approval_required if item.subscription_required else None,
            "subscriptionsLimit": item.subscriptions_limit,
            "state": item.state,
        },
    )


def user(item: User) -> dict[str, Any]:
    return resource(
        "users",
        item.api_id,
        {
            "firstName": item.first_name,
            "lastName": item.last_name,
            "email": item.email,
            "state": item.state,
            "note": item.note or None,
            "registrationDate": iso(item.registration_date),
            "identities": [{"provider": "Basic", "id": item.email}],
        },
    )


def group_user(item: User, group_name: str) -> dict[str, Any]:
    data = user(item)
    data["id"] = f"{service_id()}/groups/{group_name}/users/{item.api_id}"
    return data


def subscription(item: Subscription) -> dict[str, Any]:
    return resource(
        "subscriptions",
        item.sid,
        {
            "ownerId": f"{service_id()}/users/{item.owner.api_id}" if item.owner else None,
            "scope": f"{service_id()}/products/{item.product.name}",
            "displayName": item.display_name,
            "state": item.state,
            "createdDate": iso(item.created_at),
            "startDate": iso(item.activated_at),
            "expirationDate": iso(item.expires_at),
            "endDate": iso(item.ended_at),
            "notificationDate": None,
            "stateComment": item.state_comment or None,
            "allowTracing": False,
        },
    )
