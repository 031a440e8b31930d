"""Azure's published examples for api-version 2024-05-01, transcribed as shape facts.

Each row stands for one example file of the REST API specification
(Azure/azure-rest-api-specs, specification/apimanagement/resource-manager/
Microsoft.ApiManagement/stable/2024-05-01/examples/), named in its comment.
It keeps what the example shows about the wire format, not its data: the
method, the path (on the replay's own rows: {user}, {outsider}, {group},
{beta}, {external}, {product}, {sid}; {service} for a full resource ID;
{name} for each listed item's own name), the request body,
the status, and for the response the JSON type of each property the example
shows, the `type` string, and the resource ID after the service's own.

The replay (test_azure_examples.py) creates the rows, sends each request
with an administrator's token, and checks Portico's answer against the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STRING = ("string",)
BOOLEAN = ("boolean",)
INTEGER = ("integer",)
ARRAY = ("array",)
# Where an example shows a value that Portico has only sometimes: nextLink,
# "" in the examples, is null in Portico's lists when there is no next page;
# Portico keeps no notification date.
STRING_OR_NULL = ("string", "null")
PROVIDER = "Microsoft.ApiManagement/service"

GROUP = {"displayName": STRING, "description": STRING, "builtIn": BOOLEAN, "type": STRING}
EXTERNAL_GROUP = GROUP | {"externalId": STRING}
USER = {
    "firstName": STRING,
    "lastName": STRING,
    "email": STRING,
    "state": STRING,
    "registrationDate": STRING,
    "identities": ARRAY,
}
IDENTITY = {"provider": STRING, "id": STRING}
PRODUCT = {
    "displayName": STRING,
    "description": STRING,
    "subscriptionRequired": BOOLEAN,
    "approvalRequired": BOOLEAN,
    "subscriptionsLimit": INTEGER,
    "state": STRING,
}
SUBSCRIPTION = {"ownerId": STRING, "scope": STRING, "state": STRING, "createdDate": STRING}
LIST = {"value": ARRAY, "nextLink": STRING_OR_NULL}
COUNTED_LIST = LIST | {"count": INTEGER}


@dataclass(frozen=True)
class Example:
    source: str
    method: str
    path: str
    status: int
    request: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)
    # The response's own keys (a list's value, count, nextLink; a token's value).
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # For a resource, or each resource of a list: its `type`, its ID after the
    # service's, the properties every one carries and those some carry.
    type: str | None = None
    id: str | None = None
    properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    some_properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The keys of an array property's items (identities, groups).
    items: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # For a list of plain objects (identities): their keys.
    listed_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What a text value looks like: key -> regular expression.
    value_pattern: dict[str, str] = field(default_factory=dict)

    @property
    def is_list(self) -> bool:
        return "value" in self.keys and self.keys["value"] == ARRAY

    def __str__(self) -> str:
        return self.source.removeprefix("ApiManagement").removesuffix(".json")


EXAMPLES = [
    # --- Groups ---------------------------------------------------------------------
    # ApiManagementListGroups.json
    Example(
        "ApiManagementListGroups.json",
        "GET",
        "groups",
        200,
        keys=COUNTED_LIST,
        type=f"{PROVIDER}/groups",
        id="/groups/{name}",
        properties=GROUP,
        some_properties={"externalId": STRING},
    ),
    # ApiManagementGetGroup.json (an external group)
    Example(
        "ApiManagementGetGroup.json",
        "GET",
        "groups/{external}",
        200,
        type=f"{PROVIDER}/groups",
        id="/groups/{external}",
        properties=EXTERNAL_GROUP,
    ),
    # ApiManagementCreateGroup.json
    Example(
        "ApiManagementCreateGroup.json",
        "PUT",
        "groups/tempgroup",
        201,
        request={"displayName": "temp group"},
        type=f"{PROVIDER}/groups",
        id="/groups/tempgroup",
        properties={"displayName": STRING, "type": STRING},
    ),
    # ApiManagementCreateGroupExternal.json
    Example(
        "ApiManagementCreateGroupExternal.json",
        "PUT",
        "groups/aadGroup",
        201,
        request={
            "displayName": "NewGroup (samiraad.onmicrosoft.com)",
            "description": "new group to test",
            "type": "external",
            "externalId": "aad://samiraad.onmicrosoft.com/groups/83cf2753-5831-4675-bc0e-2f8dc067c58d",
        },
        type=f"{PROVIDER}/groups",
        id="/groups/aadGroup",
        properties={
            "displayName": STRING,
            "description": STRING,
            "type": STRING,
            "externalId": STRING,
        },
    ),
    # ApiManagementUpdateGroup.json (PATCH, If-Match: *; the example's group is external)
    Example(
        "ApiManagementUpdateGroup.json",
        "PATCH",
        "groups/{external}",
        200,
        request={"displayName": "temp group"},
        type=f"{PROVIDER}/groups",
        id="/groups/{external}",
        properties=EXTERNAL_GROUP,
    ),
    # --- Group users ----------------------------------------------------------------
    # ApiManagementListGroupUsers.json: the association's type, the user's own ID
    Example(
        "ApiManagementListGroupUsers.json",
        "GET",
        "groups/{group}/users",
        200,
        keys=COUNTED_LIST,
        type=f"{PROVIDER}/groups/users",
        id="/users/{name}",
        properties=USER | {"note": STRING},
        items={"identities": IDENTITY},
    ),
    # ApiManagementCreateGroupUser.json
    Example(
        "ApiManagementCreateGroupUser.json",
        "PUT",
        "groups/{group}/users/{outsider}",
        201,
        type=f"{PROVIDER}/groups/users",
        id="/users/{outsider}",
        properties=USER | {"groups": ARRAY},
    ),
    # --- Products -------------------------------------------------------------------
    # ApiManagementGetProduct.json
    Example(
        "ApiManagementGetProduct.json",
        "GET",
        "products/{product}",
        200,
        type=f"{PROVIDER}/products",
        id="/products/{product}",
        properties=PRODUCT,
    ),
    # ApiManagementCreateProduct.json
    Example(
        "ApiManagementCreateProduct.json",
        "PUT",
        "products/testproduct",
        201,
        request={"displayName": "Test Template ProductName 4"},
        type=f"{PROVIDER}/products",
        id="/products/testproduct",
        properties={
            "displayName": STRING,
            "subscriptionRequired": BOOLEAN,
            "approvalRequired": BOOLEAN,
            "state": STRING,
        },
    ),
    # ApiManagementUpdateProduct.json (PATCH, If-Match: *)
    Example(
        "ApiManagementUpdateProduct.json",
        "PATCH",
        "products/{product}",
        200,
        request={"displayName": "Test Template ProductName 4"},
        type=f"{PROVIDER}/products",
        id="/products/{product}",
        properties=PRODUCT,
    ),
    # --- Product groups -------------------------------------------------------------
    # ApiManagementListProductGroups.json: listed under the product
    Example(
        "ApiManagementListProductGroups.json",
        "GET",
        "products/{product}/groups",
        200,
        keys=COUNTED_LIST,
        type=f"{PROVIDER}/products/groups",
        id="/products/{product}/groups/{name}",
        properties=GROUP,
    ),
    # ApiManagementCreateProductGroup.json: the linked group's own ID
    Example(
        "ApiManagementCreateProductGroup.json",
        "PUT",
        "products/{product}/groups/{beta}",
        201,
        type=f"{PROVIDER}/products/groups",
        id="/groups/{beta}",
        properties=GROUP,
    ),
    # --- Users ----------------------------------------------------------------------
    # ApiManagementListUsers.json
    Example(
        "ApiManagementListUsers.json",
        "GET",
        "users",
        200,
        keys=COUNTED_LIST,
        type=f"{PROVIDER}/users",
        id="/users/{name}",
        properties=USER,
        items={"identities": IDENTITY},
    ),
    # ApiManagementGetUser.json
    Example(
        "ApiManagementGetUser.json",
        "GET",
        "users/{user}",
        200,
        type=f"{PROVIDER}/users",
        id="/users/{user}",
        properties=USER,
        items={"identities": IDENTITY},
    ),
    # ApiManagementCreateUser.json (confirmation: signup, no password)
    Example(
        "ApiManagementCreateUser.json",
        "PUT",
        "users/5931a75ae4bbd512288c680b",
        201,
        request={
            "firstName": "foo",
            "lastName": "bar",
            "email": "foobar@outlook.com",
            "confirmation": "signup",
        },
        type=f"{PROVIDER}/users",
        id="/users/5931a75ae4bbd512288c680b",
        properties=USER | {"groups": ARRAY},
    ),
    # ApiManagementUpdateUser.json (PATCH, If-Match: *)
    Example(
        "ApiManagementUpdateUser.json",
        "PATCH",
        "users/{user}",
        200,
        request={"firstName": "foo", "lastName": "bar", "email": "foobar@outlook.com"},
        type=f"{PROVIDER}/users",
        id="/users/{user}",
        properties=USER,
        items={"identities": IDENTITY},
    ),
    # ApiManagementListUserIdentities.json
    Example(
        "ApiManagementListUserIdentities.json",
        "GET",
        "users/{user}/identities",
        200,
        keys=LIST,
        listed_keys=IDENTITY,
    ),
    # ApiManagementUserGenerateSsoUrl.json
    Example(
        "ApiManagementUserGenerateSsoUrl.json",
        "POST",
        "users/{user}/generateSsoUrl",
        200,
        keys={"value": STRING},
        value_pattern={"value": r"^https?://[^?]+/signin-sso/?\?token={user}%26\d{12}%26\S+$"},
    ),
    # ApiManagementUserToken.json; the example's expiry (2019-04-21T00:44:24.2845269Z)
    # has passed, so the replay sends one in the future, written the same way.
    Example(
        "ApiManagementUserToken.json",
        "POST",
        "users/{user}/token",
        200,
        request={"keyType": "primary", "expiry": "{tomorrow}"},
        keys={"value": STRING},
        value_pattern={"value": r"^{user}&\d{12}&[A-Za-z0-9+/]+={0,2}$"},
    ),
    # ApiManagementUserConfirmationPasswordSend.json
    Example(
        "ApiManagementUserConfirmationPasswordSend.json",
        "POST",
        "users/{user}/confirmations/password/send",
        204,
    ),
    # --- User groups ----------------------------------------------------------------
    # ApiManagementListUserGroups.json: listed under the user
    Example(
        "ApiManagementListUserGroups.json",
        "GET",
        "users/{user}/groups",
        200,
        keys=COUNTED_LIST,
        type=f"{PROVIDER}/users/groups",
        id="/users/{user}/groups/{name}",
        properties=GROUP,
    ),
    # --- User subscriptions ---------------------------------------------------------
    # ApiManagementListUserSubscriptions.json (no count in the example; Portico adds it)
    Example(
        "ApiManagementListUserSubscriptions.json",
        "GET",
        "users/{user}/subscriptions",
        200,
        keys=LIST,
        type=f"{PROVIDER}/users/subscriptions",
        id="/users/{user}/subscriptions/{name}",
        properties=SUBSCRIPTION | {"displayName": STRING, "startDate": STRING},
    ),
    # ApiManagementGetUserSubscription.json
    Example(
        "ApiManagementGetUserSubscription.json",
        "GET",
        "users/{user}/subscriptions/{sid}",
        200,
        type=f"{PROVIDER}/users/subscriptions",
        id="/users/{user}/subscriptions/{sid}",
        properties=SUBSCRIPTION | {"allowTracing": BOOLEAN},
    ),
    # --- Product subscriptions ------------------------------------------------------
    # ApiManagementListProductSubscriptions.json: listed under the product
    Example(
        "ApiManagementListProductSubscriptions.json",
        "GET",
        "products/{product}/subscriptions",
        200,
        keys=COUNTED_LIST,
        type=f"{PROVIDER}/products/subscriptions",
        id="/products/{product}/subscriptions/{name}",
        properties=SUBSCRIPTION,
    ),
    # --- Subscriptions --------------------------------------------------------------
    # ApiManagementListSubscriptions.json
    Example(
        "ApiManagementListSubscriptions.json",
        "GET",
        "subscriptions",
        200,
        keys=COUNTED_LIST,
        type=f"{PROVIDER}/subscriptions",
        id="/subscriptions/{name}",
        properties=SUBSCRIPTION,
        some_properties={
            "displayName": STRING,
            "startDate": STRING,
            "expirationDate": STRING,
            "notificationDate": STRING_OR_NULL,
        },
    ),
    # ApiManagementGetSubscription.json
    Example(
        "ApiManagementGetSubscription.json",
        "GET",
        "subscriptions/{sid}",
        200,
        type=f"{PROVIDER}/subscriptions",
        id="/subscriptions/{sid}",
        properties=SUBSCRIPTION | {"displayName": STRING},
    ),
    # ApiManagementCreateSubscription.json (full resource IDs for owner and scope)
    Example(
        "ApiManagementCreateSubscription.json",
        "PUT",
        "subscriptions/testsub",
        201,
        request={
            "ownerId": "{service}/users/{outsider}",
            "scope": "{service}/products/{product}",
            "displayName": "testsub",
        },
        type=f"{PROVIDER}/subscriptions",
        id="/subscriptions/testsub",
        properties=SUBSCRIPTION | {"displayName": STRING},
    ),
    # ApiManagementUpdateSubscription.json (PATCH, If-Match: *)
    Example(
        "ApiManagementUpdateSubscription.json",
        "PATCH",
        "subscriptions/{sid}",
        200,
        request={"displayName": "testsub"},
        type=f"{PROVIDER}/subscriptions",
        id="/subscriptions/{sid}",
        properties=SUBSCRIPTION | {"displayName": STRING},
    ),
]
