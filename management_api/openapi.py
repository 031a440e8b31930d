"""The OpenAPI 3 description of the management API, read from the serializers' tables."""

from __future__ import annotations

from typing import Any

from django.core.validators import MinValueValidator
from django.db import models

from audit.models import Record
from management_api import serializers
from management_api.azure import SUPPORTED_API_VERSIONS, service_id

ERROR = {"$ref": "#/components/responses/Error"}
STRING = {"type": "string"}


def field_schema(field: models.Field, *, nullable: bool = False) -> dict[str, Any]:
    """A model field's JSON schema: its type, its choices, its length and range limits."""
    schema: dict[str, Any]
    if field.choices:
        schema = {"type": "string", "enum": [value for value, _ in field.flatchoices]}
    elif isinstance(field, models.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, models.IntegerField):
        schema = {"type": "integer"}
        for validator in field.validators:
            if isinstance(validator, MinValueValidator):
                schema["minimum"] = validator.limit_value
    elif isinstance(field, models.DateTimeField):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(field, models.ForeignKey):
        schema = {"type": "string"}
    else:
        schema = {"type": "string"}
        if field.max_length:
            schema["maxLength"] = field.max_length
        if not field.blank:
            schema["minLength"] = 1
    if nullable or field.null:
        schema["type"] = [schema["type"], "null"]
    return schema


def resource_schema(table: serializers.Resource, *, writable: bool = False) -> dict[str, Any]:
    """Azure's envelope around a resource's properties, read from its table.

    With writable, the properties a client may send (a PUT or PATCH body).
    """
    properties = {
        prop.name: prop.schema
        or field_schema(
            table.model_field(prop.field or prop.name),
            nullable=prop.nullable or prop.empty_is_null,
        )
        for prop in table.properties
        if prop.writable or not writable
    }
    return {
        "type": "object",
        "properties": {
            "id": STRING,
            "type": STRING,
            "name": STRING,
            "properties": {
                "type": "object",
                "properties": properties,
                "additionalProperties": True,
            },
        },
    }


TABLES = {
    "Group": serializers.GROUP,
    "Product": serializers.PRODUCT,
    "User": serializers.USER,
    "Subscription": serializers.SUBSCRIPTION,
    "Api": serializers.API,
}


def _api_import() -> dict[str, Any]:
    """What an API's PUT may send: its settings, and a document to import."""
    schema = resource_schema(serializers.API, writable=True)
    schema["properties"]["properties"]["properties"].update(
        {
            "format": {"type": "string", "enum": ["openapi", "openapi+json", "swagger-json"]},
            "value": {"type": ["string", "object"]},
        }
    )
    return schema


NULLABLE_STRING = {"type": ["string", "null"]}
# One end of a recorded change: what it was about, or the other end of a link.
RECORD_END = {
    "type": ["object", "null"],
    "properties": {"kind": STRING, "id": STRING, "name": STRING},
    "required": ["kind", "id", "name"],
}
ACTIVITY_RECORD = {
    "type": "object",
    "properties": {
        "id": STRING,
        "type": STRING,
        "name": STRING,
        "properties": {
            "type": "object",
            "properties": {
                "timestamp": {"type": "string", "format": "date-time"},
                "action": STRING,
                "actor": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": Record.ActorKind.values},
                        "id": STRING,
                        "name": STRING,
                        "onBehalfOf": STRING,
                        "via": {"type": "string", "enum": Record.Via.values},
                        "address": NULLABLE_STRING,
                    },
                    "required": ["kind", "id", "name", "onBehalfOf", "via", "address"],
                },
                "object": RECORD_END,
                "related": RECORD_END,
                "before": {"type": ["object", "null"]},
                "after": {"type": ["object", "null"]},
                "causeId": NULLABLE_STRING,
            },
            "required": [
                "timestamp",
                "action",
                "actor",
                "object",
                "related",
                "before",
                "after",
                "causeId",
            ],
        },
    },
    "required": ["id", "type", "name", "properties"],
}


SCHEMAS = {
    **{name: resource_schema(table) for name, table in TABLES.items()},
    # What a PUT or PATCH may send: the writable properties.
    **{f"{name}Changes": resource_schema(table, writable=True) for name, table in TABLES.items()},
    "Identity": serializers.IDENTITY_SCHEMA,
    "Value": {"type": "object", "properties": {"value": STRING}, "required": ["value"]},
    "TokenRequest": {
        "type": "object",
        "properties": {
            "properties": {
                "type": "object",
                "properties": {
                    "keyType": {"type": "string", "enum": ["primary", "secondary"]},
                    "expiry": {"type": "string", "format": "date-time"},
                },
                "required": ["keyType", "expiry"],
            }
        },
        "required": ["properties"],
    },
    "ApiImport": _api_import(),
    "Operation": resource_schema(serializers.OPERATION),
    "Secrets": {
        "type": "object",
        "properties": {"primaryKey": STRING, "secondaryKey": STRING},
        "required": ["primaryKey", "secondaryKey"],
    },
    "ActivityRecord": ACTIVITY_RECORD,
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"code": STRING, "message": STRING, "details": {"type": "array"}},
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    },
}


def _collection(schema: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "value": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}},
            "count": {"type": "integer"},
            "nextLink": {"type": ["string", "null"]},
        },
        "required": ["value"],
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(schema: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{schema}"}


LIST_PARAMETERS = [
    {"name": "$filter", "in": "query", "schema": STRING},
    {"name": "$top", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "$skip", "in": "query", "schema": {"type": "integer", "minimum": 0}},
]
IF_MATCH_REQUIRED = {"name": "If-Match", "in": "header", "required": True, "schema": STRING}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": STRING}
REFUSALS = {"400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR}


def _path_params(*names: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in names
    ]


def _list(schema: str, summary: str, *path: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": _path_params(*path) + LIST_PARAMETERS,
            "responses": {"200": _json(_collection(schema), "The list"), **REFUSALS},
        }
    }


def _entity_ops(schema: str, noun: str, *path: str) -> dict[str, Any]:
    body = {
        "required": True,
        "content": {"application/json": {"schema": _ref(f"{schema}Changes")}},
    }
    params = _path_params(*path)
    return {
        "get": {
            "summary": f"Get a {noun}",
            "parameters": params,
            "responses": {"200": _json(_ref(schema), f"The {noun}"), **REFUSALS},
        },
        "head": {
            "summary": f"Get a {noun}'s entity tag",
            "parameters": params,
            "responses": {"200": {"description": "Its ETag header"}, **REFUSALS},
        },
        "put": {
            "summary": f"Create or update a {noun}",
            "parameters": [*params, IF_MATCH],
            "requestBody": body,
            "responses": {
                "200": _json(_ref(schema), "Updated"),
                "201": _json(_ref(schema), "Created"),
                "409": ERROR,
                "412": ERROR,
                **REFUSALS,
            },
        },
        "patch": {
            "summary": f"Update a {noun}",
            "parameters": [*params, IF_MATCH_REQUIRED],
            "requestBody": body,
            "responses": {"200": _json(_ref(schema), "Updated"), "412": ERROR, **REFUSALS},
        },
        "delete": {
            "summary": f"Delete a {noun}",
            "parameters": [*params, IF_MATCH_REQUIRED],
            "responses": {
                "200": {"description": "Deleted"},
                "204": {"description": "Nothing to delete"},
                "412": ERROR,
                **REFUSALS,
            },
        },
    }


def _association(schema: str, noun: str, *path: str) -> dict[str, Any]:
    params = _path_params(*path)
    return {
        "head": {
            "summary": f"Is it {noun}?",
            "parameters": params,
            "responses": {"204": {"description": "Yes"}, **REFUSALS},
        },
        "put": {
            "summary": f"Make it {noun}",
            "parameters": params,
            "responses": {
                "200": _json(_ref(schema), "Already was"),
                "201": _json(_ref(schema), "Now is"),
                **REFUSALS,
            },
        },
        "delete": {
            "summary": f"Make it no longer {noun}",
            "parameters": params,
            "responses": {
                "200": {"description": "Removed"},
                "204": {"description": "Was not"},
                **REFUSALS,
            },
        },
    }


DELETE_SUBSCRIPTIONS = {
    "name": "deleteSubscriptions",
    "in": "query",
    "description": "true: delete the subscriptions that hold on to it as well.",
    "schema": {"type": "boolean"},
}
NOTIFY = {
    "name": "notify",
    "in": "query",
    "description": "true: email the developer about the new subscription.",
    "schema": {"type": "boolean"},
}


def _with_query(ops: dict[str, Any], method: str, parameter: dict[str, Any]) -> dict[str, Any]:
    ops[method]["parameters"] = [*ops[method]["parameters"], parameter]
    return ops


def _api_ops() -> dict[str, Any]:
    """An API's operations: its PUT may import a document, its DELETE answers 204."""
    ops = _entity_ops("Api", "API", "apiId")
    ops["put"]["requestBody"]["content"]["application/json"]["schema"] = _ref("ApiImport")
    ops["delete"]["responses"] = {
        "204": {"description": "Deleted, or nothing to delete"},
        "412": ERROR,
        **REFUSALS,
    }
    return ops


def document(server: str) -> dict[str, Any]:
    base = service_id()
    paths = {
        "/groups": _list("Group", "List groups"),
        "/groups/{groupId}": _entity_ops("Group", "group", "groupId"),
        "/groups/{groupId}/users": _list("User", "List a group's members", "groupId"),
        "/groups/{groupId}/users/{userId}": _association(
            "User", "a member of the group", "groupId", "userId"
        ),
        "/products": _list("Product", "List products"),
        "/products/{productId}": _with_query(
            _entity_ops("Product", "product", "productId"), "delete", DELETE_SUBSCRIPTIONS
        ),
        "/products/{productId}/groups": _list(
            "Group", "List the groups that can see a product", "productId"
        ),
        "/products/{productId}/groups/{groupId}": _association(
            "Group", "a group that can see the product", "productId", "groupId"
        ),
        "/products/{productId}/subscriptions": _list(
            "Subscription", "List a product's subscriptions", "productId"
        ),
        "/products/{productId}/apis": _list("Api", "List a product's APIs", "productId"),
        "/products/{productId}/apis/{apiId}": _association(
            "Api", "an API in the product", "productId", "apiId"
        ),
        "/apis": _list("Api", "List APIs"),
        "/apis/{apiId}": _with_query(_api_ops(), "delete", DELETE_SUBSCRIPTIONS),
        "/apis/{apiId}/operations": _list("Operation", "List an API's operations", "apiId"),
        "/apis/{apiId}/operations/{operationId}": {
            "get": {
                "summary": "Get an operation of an API",
                "parameters": _path_params("apiId", "operationId"),
                "responses": {"200": _json(_ref("Operation"), "The operation"), **REFUSALS},
            },
            "head": {
                "summary": "Get an operation's entity tag (its API's)",
                "parameters": _path_params("apiId", "operationId"),
                "responses": {"200": {"description": "Its ETag header"}, **REFUSALS},
            },
        },
        "/apis/{apiId}/products": _list("Product", "List the products an API is in", "apiId"),
        "/users": _list("User", "List users"),
        "/users/{userId}": _with_query(
            _entity_ops("User", "user", "userId"), "delete", DELETE_SUBSCRIPTIONS
        ),
        "/users/{userId}/groups": _list("Group", "List a user's groups", "userId"),
        "/users/{userId}/subscriptions": _list(
            "Subscription", "List a user's subscriptions", "userId"
        ),
        "/users/{userId}/subscriptions/{sid}": {
            "get": {
                "summary": "Get one of a user's subscriptions",
                "parameters": _path_params("userId", "sid"),
                "responses": {"200": _json(_ref("Subscription"), "The subscription"), **REFUSALS},
            }
        },
        "/users/{userId}/identities": {
            "get": {
                "summary": "List how a user signs in",
                "parameters": _path_params("userId"),
                "responses": {"200": _json(_collection("Identity"), "The identities"), **REFUSALS},
            }
        },
        "/users/{userId}/generateSsoUrl": {
            "post": {
                "summary": "Make a one-time link that signs a developer in to the portal",
                "parameters": _path_params("userId"),
                "responses": {"200": _json(_ref("Value"), "The link"), **REFUSALS},
            }
        },
        "/users/{userId}/token": {
            "post": {
                "summary": "Make a shared access token for a user, in Azure's format",
                "parameters": _path_params("userId"),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("TokenRequest")}},
                },
                "responses": {"200": _json(_ref("Value"), "The token"), **REFUSALS},
            }
        },
        "/users/{userId}/confirmations/password/send": {
            "post": {
                "summary": "Email a user a link to choose a password",
                "parameters": [
                    *_path_params("userId"),
                    {
                        "name": "appType",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["portal", "developerPortal"]},
                    },
                ],
                "responses": {"204": {"description": "Sent"}, **REFUSALS},
            }
        },
        "/subscriptions": _list("Subscription", "List subscriptions"),
        "/activityRecords": _list(
            "ActivityRecord",
            "List the activity record, oldest first ($filter on action, objectKind, objectId, "
            "relatedKind, relatedId, actorKind)",
        ),
        "/activityRecords/{recordId}": {
            "get": {
                "summary": "Get an activity record",
                "parameters": _path_params("recordId"),
                "responses": {"200": _json(_ref("ActivityRecord"), "The record"), **REFUSALS},
            }
        },
        "/subscriptions/{sid}": _with_query(
            _entity_ops("Subscription", "subscription", "sid"), "put", NOTIFY
        ),
        "/subscriptions/{sid}/listSecrets": {
            "post": {
                "summary": "Get a subscription's keys",
                "parameters": _path_params("sid"),
                "responses": {"200": _json(_ref("Secrets"), "The keys"), **REFUSALS},
            }
        },
        "/subscriptions/{sid}/regeneratePrimaryKey": {
            "post": {
                "summary": "Replace the primary key",
                "parameters": _path_params("sid"),
                "responses": {"204": {"description": "Replaced"}, **REFUSALS},
            }
        },
        "/subscriptions/{sid}/regenerateSecondaryKey": {
            "post": {
                "summary": "Replace the secondary key",
                "parameters": _path_params("sid"),
                "responses": {"204": {"description": "Replaced"}, **REFUSALS},
            }
        },
    }
    api_version = {
        "name": "api-version",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "enum": sorted(SUPPORTED_API_VERSIONS)},
    }
    for operations in paths.values():
        for operation in operations.values():
            operation["parameters"] = [api_version, *operation.get("parameters", [])]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Portico management API",
            "version": "2024-05-01",
            "description": "Azure API Management's management API for groups, products, "
            "users, subscriptions and APIs, served by Portico; and Portico's activity record, "
            "read-only.",
        },
        "servers": [{"url": server + base}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "responses": {"Error": _json(_ref("Error"), "An error in Azure's shape")},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
