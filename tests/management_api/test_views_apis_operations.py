"""management_api.views.apis: an API's operations, read from its document; the APIs in a
product and the products an API is in; lists whose query count doesn't grow with rows."""

from __future__ import annotations

import json

import pytest

from apis import services as api_services
from apis.models import Api, ProductApi
from products import services as product_services
from tests.conftest import openapi_text
from tests.management_api.helpers import SERVICE, assert_azure_error, names

DETAILED = json.dumps(
    {
        "openapi": "3.0.3",
        "info": {"title": "Shipments", "version": "1"},
        "components": {
            "parameters": {
                "Id": {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "The shipment",
                    "schema": {"type": "integer"},
                }
            }
        },
        "paths": {
            "/shipments/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "put": {
                    "operationId": "updateShipment",
                    "summary": "Update a shipment",
                    "description": "Replaces it.",
                    "parameters": [
                        {
                            "name": "mode",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["fast", "slow"]},
                        },
                        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                    ],
                    "requestBody": {
                        "description": "The new shipment",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "Updated",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "default": {"description": "An error"},
                    },
                },
            }
        },
    }
)


# --- Operations ------------------------------------------------------------------------------


def test_operations_are_listed_in_the_documents_order(api, make_api):
    make_api("Shipments")
    response = api.get("apis/shipments/operations")
    assert names(response) == ["listShipments", "createShipment", "getShipment", "cancelShipment"]
    first = response.json()["value"][0]
    assert first["id"] == f"{SERVICE}/apis/shipments/operations/listShipments"
    assert first["type"] == "Microsoft.ApiManagement/service/apis/operations"
    assert {k: first["properties"][k] for k in ("displayName", "method", "urlTemplate")} == {
        "displayName": "List shipments",
        "method": "GET",
        "urlTemplate": "/shipments",
    }


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("method eq 'GET'", ["listShipments", "getShipment"]),
        ("urlTemplate eq '/shipments/{id}'", ["getShipment", "cancelShipment"]),
        ("startswith(displayName,'cancel')", ["cancelShipment"]),
        ("name eq 'createShipment'", ["createShipment"]),
    ],
)
def test_operation_list_filter(api, make_api, expression, expected):
    make_api("Shipments")
    assert names(api.get("apis/shipments/operations", **{"$filter": expression})) == expected


def test_operation_list_pages(api, make_api):
    make_api("Shipments")
    first = api.get("apis/shipments/operations", **{"$top": "3"})
    assert names(first) == ["listShipments", "createShipment", "getShipment"]
    assert first.json()["nextLink"]
    assert names(api.get("apis/shipments/operations", **{"$skip": "3"})) == ["cancelShipment"]


def test_an_operation_in_azures_shape_read_from_its_document(api, make_api):
    make_api("Shipments", text=DETAILED)
    response = api.get("apis/shipments/operations/updateShipment")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["properties"] == {
        "displayName": "Update a shipment",
        "method": "PUT",
        "urlTemplate": "/shipments/{id}",
        "description": "Replaces it.",
        "templateParameters": [
            {
                "name": "id",
                "description": "The shipment",
                "type": "integer",
                "required": True,
                "values": [],
            }
        ],
        "request": {
            "description": "The new shipment",
            "queryParameters": [
                {
                    "name": "mode",
                    "description": "",
                    "type": "string",
                    "required": False,
                    "values": ["fast", "slow"],
                }
            ],
            "headers": [
                {
                    "name": "X-Trace",
                    "description": "",
                    "type": "string",
                    "required": False,
                    "values": [],
                }
            ],
            "representations": [{"contentType": "application/json"}],
        },
        "responses": [
            {
                "statusCode": 200,
                "description": "Updated",
                "representations": [{"contentType": "application/json"}],
                "headers": [],
            }
        ],
    }


def test_a_swagger_operations_media_types_come_from_consumes_and_produces(api, make_api):
    text = json.dumps(
        {
            "swagger": "2.0",
            "info": {"title": "Legacy", "version": "1"},
            "consumes": ["application/xml"],
            "produces": ["application/xml"],
            "paths": {
                "/items": {
                    "post": {
                        "operationId": "addItem",
                        "parameters": [{"name": "item", "in": "body", "schema": {}}],
                        "responses": {"201": {"description": "Added", "schema": {}}},
                    }
                }
            },
        }
    )
    make_api("Legacy", text=text)
    properties = api.get("apis/legacy/operations/addItem").json()["properties"]
    assert properties["request"]["representations"] == [{"contentType": "application/xml"}]
    assert properties["responses"][0]["statusCode"] == 201
    assert properties["responses"][0]["representations"] == [{"contentType": "application/xml"}]


def test_head_of_an_operation_gives_its_apis_entity_tag(api, make_api):
    make_api("Shipments")
    assert api.head("apis/shipments/operations/getShipment")["ETag"] == '"1"'
    api.put("apis/shipments", {"format": "openapi+json", "value": openapi_text()})
    assert api.head("apis/shipments/operations/getShipment")["ETag"] == '"2"'


@pytest.mark.parametrize(
    "path",
    [
        "apis/shipments/operations/nothing",
        "apis/nowhere/operations",
        "apis/nowhere/operations/getShipment",
        "apis/nowhere/products",
    ],
)
def test_unknown_api_or_operation_is_404(api, make_api, path):
    make_api("Shipments")
    assert_azure_error(api.get(path), 404, "ResourceNotFound")


# --- Products and APIs ---------------------------------------------------------------------


def test_an_api_goes_into_a_product_and_out(api, make_api, product):
    make_api("Shipments")
    path = "products/payments/apis/shipments"
    assert api.head(path).status_code == 404

    added = api.put(path)
    assert added.status_code == 201
    data = added.json()
    assert data["id"] == f"{SERVICE}/products/payments/apis/shipments"
    assert data["type"] == "Microsoft.ApiManagement/service/products/apis"
    assert data["properties"]["displayName"] == "Shipments"
    assert api.put(path).status_code == 200
    assert api.head(path).status_code == 204
    assert ProductApi.objects.filter(product=product, api__name="shipments").count() == 1
    listed = api.get("products/payments/apis")
    assert names(listed) == ["shipments"]
    assert listed.json()["value"][0]["id"] == data["id"]

    assert api.delete(path, if_match=None).status_code == 200
    assert api.delete(path, if_match=None).status_code == 204
    assert api.head(path).status_code == 404
    assert names(api.get("products/payments/apis")) == []


def test_the_products_an_api_is_in(api, make_api, make_product):
    logistics = make_product("Logistics")
    payments = make_product("Payments")
    make_product("Elsewhere")
    make_api("Shipments", products=[logistics, payments])
    response = api.get("apis/shipments/products")
    assert names(response) == ["logistics", "payments"]
    first = response.json()["value"][0]
    assert first["id"] == f"{SERVICE}/products/logistics"
    assert first["type"] == "Microsoft.ApiManagement/service/apis/products"
    assert first["properties"]["state"] == "published"
    filtered = api.get("apis/shipments/products", **{"$filter": "displayName eq 'Payments'"})
    assert names(filtered) == ["payments"]
    refused = api.get("apis/shipments/products", **{"$filter": "name eq 'payments'"})
    assert_azure_error(refused, 400, "ValidationError")


def test_a_products_apis_filter(api, make_api, product):
    make_api("Shipments", products=[product])
    make_api("Billing", products=[product])
    make_api("Elsewhere")
    assert names(api.get("products/payments/apis")) == ["billing", "shipments"]
    found = api.get("products/payments/apis", **{"$filter": "startswith(path,'ship')"})
    assert names(found) == ["shipments"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "products/nowhere/apis/shipments"),
        ("put", "products/payments/apis/nowhere"),
        ("head", "products/payments/apis/nowhere"),
        ("delete", "products/payments/apis/nowhere"),
        ("get", "products/nowhere/apis"),
    ],
)
def test_unknown_product_or_api_is_404_and_links_nothing(api, make_api, product, method, path):
    make_api("Shipments")
    response = getattr(api, method)(path)
    assert response.status_code == 404
    if method != "head":
        assert_azure_error(response, 404, "ResourceNotFound")
    assert not ProductApi.objects.exists()


# --- Query counts ------------------------------------------------------------------------------


def queries_of(api, path: str, django_assert_max_num_queries, limit: int) -> int:
    """The queries of a list, once the token's first use (which it records) is behind:
    the token, the count, the page, and the API or product the path names."""
    api.get(path)
    with django_assert_max_num_queries(limit) as captured:
        response = api.get(path)
    assert response.status_code == 200
    return len(captured)


def add_apis(numbers: range, product=None) -> None:
    for number in numbers:
        created = api_services.create_api(
            name=f"api-{number}", display_name=f"API {number}", path=f"api-{number}"
        )
        if product is not None:
            api_services.add_apis(product=product, apis=[created], added_by=None)


@pytest.mark.parametrize("in_product", [False, True], ids=["apis", "a product's apis"])
def test_api_lists_make_as_many_queries_for_many_rows(
    api, db, make_product, django_assert_max_num_queries, in_product
):
    product = make_product("Payments") if in_product else None
    path = "products/payments/apis" if in_product else "apis"
    add_apis(range(3), product)
    limit = 4 if in_product else 3
    few = queries_of(api, path, django_assert_max_num_queries, limit)
    add_apis(range(3, 150), product)
    assert queries_of(api, path, django_assert_max_num_queries, limit) == few
    assert len(api.get(path).json()["value"]) == 100


def test_operation_list_makes_as_many_queries_for_many_operations(
    api, make_api, django_assert_max_num_queries
):
    make_api("Shipments")
    few = queries_of(api, "apis/shipments/operations", django_assert_max_num_queries, 4)
    many = [("get", f"/items/{n}", f"getItem{n}", [f"tag{n}"]) for n in range(150)]
    found = Api.objects.get(name="shipments")
    api.put("apis/shipments", {"format": "openapi+json", "value": openapi_text(operations=many)})
    assert found.operations.count() == 150
    assert queries_of(api, "apis/shipments/operations", django_assert_max_num_queries, 4) == few


def test_api_product_list_makes_as_many_queries_for_many_products(
    api, make_api, django_assert_max_num_queries
):
    shipments = make_api("Shipments")

    def add(numbers: range) -> None:
        for number in numbers:
            product = product_services.create_product(
                name=f"product-{number}", display_name=f"Product {number}"
            )
            api_services.add_apis(product=product, apis=[shipments], added_by=None)

    add(range(3))
    few = queries_of(api, "apis/shipments/products", django_assert_max_num_queries, 4)
    add(range(3, 120))
    assert queries_of(api, "apis/shipments/products", django_assert_max_num_queries, 4) == few
