"""What Portico's accounts and external groups look like as SCIM resources, and the
discovery documents (RFC 7643 §5-7) that describe them."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from scim2_models import Context
from scim2_models import Group as GroupModel
from scim2_models import User as UserModel

from groups.models import Group
from portal.models import User
from scim.filters import Column, Schema

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200

USER_FILTERS = Schema(
    USER_SCHEMA,
    {
        ("id", None): Column("api_id", "exact"),
        ("externalid", None): Column("scim__external_id", "exact"),
        ("username", None): Column("email"),
        ("emails", None): Column("email"),
        ("emails", "value"): Column("email"),
        ("emails", "type"): Column("", "constant", "work"),
        ("emails", "primary"): Column("", "constant", "true"),
        ("displayname", None): Column("scim_display_name"),
        ("name", "givenname"): Column("first_name"),
        ("name", "familyname"): Column("last_name"),
        ("name", "formatted"): Column("scim_display_name"),
        ("active", None): Column("scim_active", "bool"),
    },
)

GROUP_FILTERS = Schema(
    GROUP_SCHEMA,
    {
        ("id", None): Column("name", "exact"),
        ("externalid", None): Column("external_id", "exact"),
        ("displayname", None): Column("display_name"),
        ("members", None): Column("memberships__user__api_id", "exact"),
        ("members", "value"): Column("memberships__user__api_id", "exact"),
    },
)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def display_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.email


def user_resource(user: User, base: str) -> dict[str, Any]:
    """A person as a SCIM User: userName and the one email are the account's email.

    groups lists the external groups only (the ones provisioning knows);
    a prefetched `scim_groups` list saves a query per person on a page.
    """
    location = f"{base}/Users/{user.api_id}"
    scim = getattr(user, "scim", None) if hasattr(user, "scim") else None
    groups = getattr(user, "scim_groups", None)
    if groups is None:
        groups = list(user.portal_groups.filter(type=Group.Type.EXTERNAL).order_by("name"))
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "id": user.api_id,
        "userName": user.email,
        "name": {
            "formatted": display_name(user),
            "givenName": user.first_name,
            "familyName": user.last_name,
        },
        "displayName": display_name(user),
        "emails": [{"value": user.email, "type": "work", "primary": True}],
        "active": user.state == User.State.ACTIVE,
        "groups": [
            {
                "value": group.name,
                "display": group.display_name,
                "type": "direct",
                "$ref": f"{base}/Groups/{group.name}",
            }
            for group in groups
        ],
        "meta": {
            "resourceType": "User",
            "created": iso(user.registration_date),
            "lastModified": iso(user.registration_date),
            "location": location,
            "version": f'W/"{user.version}"',
        },
    }
    if scim is not None and scim.external_id:
        resource["externalId"] = scim.external_id
    return resource


def group_resource(group: Group, base: str) -> dict[str, Any]:
    """An external group as a SCIM Group; `scim_members` may be prefetched."""
    members = getattr(group, "scim_members", None)
    if members is None:
        members = [membership.user for membership in group.memberships.select_related("user")]
    return {
        "schemas": [GROUP_SCHEMA],
        "id": group.name,
        "externalId": group.external_id,
        "displayName": group.display_name,
        "members": [
            {
                "value": user.api_id,
                "display": user.email,
                "type": "User",
                "$ref": f"{base}/Users/{user.api_id}",
            }
            for user in sorted(members, key=lambda user: user.email)
        ],
        "meta": {
            "resourceType": "Group",
            "created": iso(group.created_at),
            "lastModified": iso(group.updated_at),
            "location": f"{base}/Groups/{group.name}",
            "version": f'W/"{group.version}"',
        },
    }


def project(resource: dict[str, Any], attributes: list[str], excluded: list[str]) -> dict[str, Any]:
    """attributes and excludedAttributes (RFC 7644 §3.4.2.5), on top-level attributes;
    id, schemas and meta are always returned."""
    always = {"id", "schemas", "meta"}
    wanted = {name.split(".")[0].rsplit(":", 1)[-1].lower() for name in attributes}
    dropped = {name.split(".")[0].rsplit(":", 1)[-1].lower() for name in excluded}
    return {
        key: value
        for key, value in resource.items()
        if key in always or ((not wanted or key.lower() in wanted) and key.lower() not in dropped)
    }


def list_response(resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


# Discovery

USER_ATTRIBUTES = {"userName", "name", "displayName", "active", "emails", "groups"}
GROUP_ATTRIBUTES = {"displayName", "members"}


@cache
def schemas() -> dict[str, dict[str, Any]]:
    """The User and Group schemas as scim2-models describes them, cut to what Portico keeps."""
    found = {}
    for model, keep in ((UserModel, USER_ATTRIBUTES), (GroupModel, GROUP_ATTRIBUTES)):
        schema = model.to_schema().model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        schema["attributes"] = [
            attribute for attribute in schema["attributes"] if attribute["name"] in keep
        ]
        for attribute in schema["attributes"]:
            if attribute["name"] in ("displayName",) and model is UserModel:
                # Made from the name; a value sent for it is ignored.
                attribute["mutability"] = "readOnly"
            if attribute["name"] == "members":
                # Only people: Portico's groups don't nest.
                for sub in attribute.get("subAttributes", []):
                    if sub["name"] == "type":
                        sub["canonicalValues"] = ["User"]
        schema["meta"] = {
            "resourceType": "Schema",
            "location": f"/Schemas/{schema['id']}",
        }
        found[schema["id"]] = schema
    return found


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": name,
            "name": name,
            "description": description,
            "endpoint": f"/{name}s",
            "schema": schema,
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{name}"},
        }
        for name, description, schema in (
            (
                "User",
                "A person with a Portico account; userName is the email address.",
                USER_SCHEMA,
            ),
            (
                "Group",
                "An external group of Portico: products are made visible to its members.",
                GROUP_SCHEMA,
            ),
        )
    ]


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [CONFIG_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_PAGE_SIZE},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token created in Portico's console (Settings › Provisioning "
                "(SCIM)), sent as Authorization: Bearer <token>.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }
