"""management_api.views.apis: APIs through the management API: create from a document or
from settings alone, read, update, re-import, delete, and what each refuses."""

from __future__ import annotations

import json

import pytest
import yaml

from apis.models import Api, Operation
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.conftest import openapi_text
from tests.management_api.helpers import SERVICE, assert_azure_error, body, names, url

SWAGGER = json.dumps(
    {
        "swagger": "2.0",
        "info": {"title": "Legacy", "version": "0.9"},
        "paths": {
            "/items": {
                "get": {"operationId": "listItems", "responses": {"200": {"description": "OK"}}}
            }
        },
    }
)


def document_body(text: str | None = None, fmt: str = "openapi+json", **settings: object) -> dict:
    return {"format": fmt, "value": text or openapi_text(), "path": "shipments", **settings}


# --- Create -----------------------------------------------------------------------------


def test_put_with_an_openapi_json_document_creates_the_api_and_its_operations(api, db):
    response = api.put("apis/shipments", document_body())
    assert response.status_code == 201, response.content
    assert response["ETag"] == '"1"'
    data = response.json()
    assert data["id"] == f"{SERVICE}/apis/shipments"
    assert data["type"] == "Microsoft.ApiManagement/service/apis"
    assert data["name"] == "shipments"
    assert data["properties"] == {
        "displayName": "Shipments",
        "apiRevision": "1",
        "description": "The Shipments API.",
        "serviceUrl": None,
        "path": "shipments",
        "protocols": ["https"],
        "apiVersion": "1.0",
        "subscriptionRequired": True,
        "isCurrent": True,
        "type": "http",
        "subscriptionKeyParameterNames": {
            "header": "Ocp-Apim-Subscription-Key",
            "query": "subscription-key",
        },
        "provisioningState": "Succeeded",
    }
    created = Api.objects.get(name="shipments")
    assert created.document_format == Api.Format.OPENAPI_JSON
    assert list(created.operations.values_list("name", flat=True)) == [
        "listShipments",
        "createShipment",
        "getShipment",
        "cancelShipment",
    ]


def test_put_takes_an_openapi_json_document_as_an_object(api, db):
    response = api.put("apis/shipments", document_body(json.loads(openapi_text())))
    assert response.status_code == 201, response.content
    assert Operation.objects.filter(api__name="shipments").count() == 4


def test_put_takes_an_openapi_yaml_document(api, db):
    text = yaml.safe_dump(json.loads(openapi_text("Tracking")), sort_keys=False)
    response = api.put("apis/tracking", document_body(text, "openapi", path="tracking"))
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["displayName"] == "Tracking"
    assert Api.objects.get(name="tracking").document_format == Api.Format.OPENAPI


def test_put_takes_a_swagger_document(api, db):
    response = api.put("apis/legacy", document_body(SWAGGER, "swagger-json", path="legacy"))
    assert response.status_code == 201, response.content
    created = Api.objects.get(name="legacy")
    assert (created.document_format, created.document_version) == ("swagger-json", "2.0")
    assert list(created.operations.values_list("name", flat=True)) == ["listItems"]


def test_settings_sent_with_a_document_win_over_its_own(api, db):
    response = api.put(
        "apis/shipments",
        document_body(
            displayName="Parcels",
            description="Where parcels are",
            serviceUrl="https://backend.example.com/v1",
            protocols=["http", "https"],
            apiVersion="v2",
            subscriptionRequired=False,
        ),
    )
    assert response.status_code == 201, response.content
    properties = response.json()["properties"]
    assert properties["displayName"] == "Parcels"
    assert properties["protocols"] == ["http", "https"]
    created = Api.objects.get(name="shipments")
    assert (created.description, created.service_url, created.api_version) == (
        "Where parcels are",
        "https://backend.example.com/v1",
        "v2",
    )
    assert (created.protocols, created.subscription_required) == ("http,https", False)


def test_put_without_a_document_creates_an_api_with_no_operations(api, db):
    response = api.put("apis/echo", {"displayName": "Echo", "path": "echo"})
    assert response.status_code == 201, response.content
    created = Api.objects.get(name="echo")
    assert (created.document, created.operations.count()) == ({}, 0)
    assert names(api.get("apis/echo/operations")) == []


# --- Read ---------------------------------------------------------------------------------


def test_get_and_head_give_the_entity_tag(api, make_api):
    make_api("Shipments")
    got = api.get("apis/shipments")
    assert got.status_code == 200
    assert got["ETag"] == '"1"'
    assert got.json()["properties"]["path"] == "shipments"
    head = api.head("apis/shipments")
    assert (head.status_code, head["ETag"], head.content) == (200, '"1"', b"")


@pytest.mark.parametrize("method", ["get", "head"])
def test_unknown_api_is_404(api, db, method):
    response = getattr(api, method)("apis/nowhere")
    assert response.status_code == 404
    if method == "get":
        assert_azure_error(response, 404, "ResourceNotFound")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("name eq 'billing'", ["billing"]),
        ("startswith(displayName,'ship')", ["shipments"]),
        ("contains(description,'bill')", ["billing"]),
        ("path eq 'track/v1'", ["tracking"]),
        ("contains(serviceUrl,'backend')", ["tracking"]),
        ("name ne 'billing'", ["shipments", "tracking"]),
    ],
)
def test_api_list_filter(api, make_api, expression, expected):
    make_api("Shipments")
    make_api("Billing")
    make_api("Tracking", path="track/v1", service_url="https://backend.example.com")
    response = api.get("apis", **{"$filter": expression})
    assert names(response) == expected
    assert response.json()["count"] == len(expected)


def test_api_list_refuses_a_filter_azure_does_not_offer(api, db):
    response = api.get("apis", **{"$filter": "protocols eq 'https'"})
    assert "protocols" in assert_azure_error(response, 400, "ValidationError")["message"]


def test_api_list_pages(api, make_api):
    for number in range(3):
        make_api(f"Api {number}")
    first = api.get("apis", **{"$top": "2"})
    assert names(first) == ["api-0", "api-1"]
    assert "%24skip=2" in first.json()["nextLink"]
    assert names(api.get("apis", **{"$top": "2", "$skip": "2"})) == ["api-2"]


# --- Update and re-import ------------------------------------------------------------------


def test_put_on_an_existing_api_updates_its_settings(api, make_api):
    make_api("Shipments")
    response = api.put("apis/shipments", {"displayName": "Parcels"})
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert Api.objects.get(name="shipments").display_name == "Parcels"
    assert Operation.objects.filter(api__name="shipments").count() == 4


def test_put_with_a_document_reimports_it(api, make_api):
    make_api("Shipments")
    text = openapi_text(operations=[("get", "/parcels", "listParcels", [])])
    response = api.put(
        "apis/shipments", {"format": "openapi+json", "value": text}, HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200, response.content
    assert response.json()["properties"]["displayName"] == "Shipments"
    assert names(api.get("apis/shipments/operations")) == ["listParcels"]


def test_reimport_and_settings_change_together(api, make_api):
    make_api("Shipments")
    text = openapi_text(operations=[("get", "/parcels", "listParcels", [])])
    response = api.put(
        "apis/shipments", {"format": "openapi+json", "value": text, "displayName": "Parcels"}
    )
    assert response.status_code == 200, response.content
    found = Api.objects.get(name="shipments")
    assert found.display_name == "Parcels"
    assert list(found.operations.values_list("name", flat=True)) == ["listParcels"]


def test_reimport_refused_by_a_setting_keeps_the_old_document(api, make_api):
    make_api("Shipments")
    make_api("Billing")
    text = openapi_text(operations=[("get", "/parcels", "listParcels", [])])
    response = api.put(
        "apis/shipments", {"format": "openapi+json", "value": text, "displayName": "billing"}
    )
    assert "displayName" in {d["target"] for d in assert_azure_error(response, 400)["details"]}
    found = Api.objects.get(name="shipments")
    assert (found.display_name, found.version, found.operations.count()) == ("Shipments", 1, 4)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_stale_if_match_is_412_and_changes_nothing(api, make_api, method):
    make_api("Shipments")
    api.put("apis/shipments", {"description": "Changed by someone else"})
    if method == "put":
        response = api.put("apis/shipments", {"displayName": "Parcels"}, HTTP_IF_MATCH='"1"')
    else:
        response = api.patch("apis/shipments", {"displayName": "Parcels"}, if_match='"1"')
    assert_azure_error(response, 412, "PreconditionFailed")
    assert Api.objects.get(name="shipments").display_name == "Shipments"


def test_stale_if_match_on_a_reimport_is_412_and_keeps_the_document(api, make_api):
    make_api("Shipments")
    api.put("apis/shipments", {"description": "Changed by someone else"})
    text = openapi_text(operations=[("get", "/parcels", "listParcels", [])])
    response = api.put(
        "apis/shipments", {"format": "openapi+json", "value": text}, HTTP_IF_MATCH='"1"'
    )
    assert_azure_error(response, 412, "PreconditionFailed")
    assert Operation.objects.filter(api__name="shipments").count() == 4


def test_patch_changes_settings_with_the_entity_tag(api, make_api):
    make_api("Shipments")
    response = api.patch(
        "apis/shipments",
        {"serviceUrl": "https://backend.example.com", "protocols": ["http"]},
        '"1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    found = Api.objects.get(name="shipments")
    assert (found.service_url, found.protocols) == ("https://backend.example.com", "http")


def test_patch_needs_if_match(client, bearer, make_api):
    make_api("Shipments")
    response = client.patch(
        url("apis/shipments"), body(displayName="X"), "application/json", **bearer
    )
    assert_azure_error(response, 400, "ValidationError")


def test_patch_refuses_a_document(api, make_api):
    make_api("Shipments")
    response = api.patch("apis/shipments", {"format": "openapi+json", "value": openapi_text()})
    assert_azure_error(response, 400, "ValidationError")
    assert Api.objects.get(name="shipments").version == 1


# --- Delete ----------------------------------------------------------------------------------


def test_delete_removes_the_api_its_operations_and_its_place_in_products(api, make_api, product):
    make_api("Shipments", products=[product])
    response = api.delete("apis/shipments", if_match='"1"')
    assert response.status_code == 204
    assert not Api.objects.exists() and not Operation.objects.exists()
    assert names(api.get("products/payments/apis")) == []
    assert api.delete("apis/shipments").status_code == 204


def test_delete_needs_a_current_if_match(api, make_api):
    make_api("Shipments")
    assert_azure_error(api.delete("apis/shipments", if_match=None), 400, "ValidationError")
    assert_azure_error(api.delete("apis/shipments", if_match='"7"'), 412, "PreconditionFailed")
    assert Api.objects.filter(name="shipments").exists()


def test_delete_with_subscriptions_to_it_alone_needs_delete_subscriptions(
    api, make_api, administrator, developer
):
    shipments = make_api("Shipments")
    subscription_services.create_subscription(
        sid="alone", owner=developer, api=shipments, display_name="T", actor=administrator
    )

    error = assert_azure_error(api.delete("apis/shipments", if_match="*"), 400, "ValidationError")

    assert "subscription to it alone" in error["message"] + json.dumps(error.get("details"))
    assert Api.objects.filter(name="shipments").exists()
    assert api.delete("apis/shipments", deleteSubscriptions="true").status_code == 204
    assert not Api.objects.exists() and not Subscription.objects.exists()
