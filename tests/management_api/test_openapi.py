"""management_api.openapi: Schemathesis drives every operation of the OpenAPI document
against the app, in-process.

Each response must not be a server error and must match the document's schema.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from management_api.openapi import document
from management_api.services import issue_token
from portal.wsgi import application
from subscriptions import services as subscription_services

# IDs of the rows the `authorization` fixture makes, offered to Schemathesis as
# examples so that some calls reach real entities instead of 404s.
PATH_EXAMPLES = {
    "groupId": "partners",
    "userId": "dev",
    "productId": "logistics",
    "sid": "dev-logistics",
    "apiId": "shipments",
    "operationId": "listShipments",
}
BODY_EXAMPLES = {
    "/groups/{groupId}": {"displayName": "Partners", "description": "Partner firms"},
    "/products/{productId}": {"displayName": "Logistics", "state": "published"},
    "/users/{userId}": {"email": "dev@example.com", "firstName": "Dev", "lastName": "Eloper"},
    "/subscriptions/{sid}": {"displayName": "Renamed app"},
    "/apis/{apiId}": {"displayName": "Parcels", "path": "parcels", "protocols": ["https"]},
}


def with_examples(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with examples added; its response schemas are left as they are."""
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in PATH_EXAMPLES:
                    parameter["example"] = PATH_EXAMPLES[parameter["name"]]
            content = operation.get("requestBody", {}).get("content", {})
            if path in BODY_EXAMPLES and "application/json" in content:
                content["application/json"]["example"] = {"properties": BODY_EXAMPLES[path]}
    return doc


schema = schemathesis.openapi.from_dict(with_examples(document("http://testserver")))


@pytest.fixture
def authorization(administrator, member, make_product, make_api):
    """An administrator's token, and a few rows for the operations to find."""
    member.api_id = "dev"
    member.save()
    product = make_product("Logistics")
    make_api("Shipments", products=[product])
    subscription_services.create_subscription(
        sid="dev-logistics",
        owner=member,
        product=product,
        display_name="App",
        actor=administrator,
        state="submitted",
    )
    _, clear = issue_token(user=administrator, name="schemathesis", days=1)
    return f"Bearer {clear}"


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_openapi_document(case, authorization, in_process):
    case.call_and_validate(
        app=application,
        headers={"Authorization": authorization},
        checks=[not_a_server_error, response_schema_conformance],
    )
