"""management_api.views.apis: what an API's PUT and PATCH refuse (bad settings, formats
Portico doesn't read, broken documents), and who may call the APIs' operations at all.
Every refusal is Azure's error shape, and writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apis.models import Api, Operation, ProductApi
from portal.models import User
from tests.conftest import openapi_text
from tests.management_api.helpers import API_VERSION, SERVICE, assert_azure_error, body, url


def targets(response, status: int = 400) -> set[str]:
    error = assert_azure_error(response, status, "ValidationError")
    return {detail.get("target") for detail in error.get("details", [])}


# --- Settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_id", "properties", "target"),
    [
        ("echo", {"path": "echo"}, "displayName"),
        ("echo", {"displayName": "Echo"}, "path"),
        ("echo", {"displayName": "x" * 301, "path": "echo"}, "displayName"),
        (
            "echo",
            {"displayName": "Echo", "path": "echo", "description": "x" * 10001},
            "description",
        ),
        ("echo", {"displayName": "Echo", "path": "x" * 401}, "path"),
        ("echo", {"displayName": "Echo", "path": "../admin"}, "path"),
        ("echo", {"displayName": "Echo", "path": "echo", "serviceUrl": "not a url"}, "serviceUrl"),
        ("echo", {"displayName": "Echo", "path": "echo", "protocols": ["ftp"]}, "protocols"),
        ("echo", {"displayName": "Echo", "path": "echo", "protocols": "https"}, "protocols"),
        ("echo", {"displayName": "Echo", "path": "echo", "protocols": []}, "protocols"),
        ("echo", {"displayName": "Echo", "path": "echo", "apiRevision": ""}, "apiRevision"),
        ("echo", {"displayName": "Echo", "path": "echo", "type": "soap"}, "type"),
        ("new", {"displayName": "Echo", "path": "echo"}, "name"),
        ("bad$id", {"displayName": "Echo", "path": "echo"}, "name"),
    ],
)
def test_invalid_settings_are_400_naming_the_property(api, db, api_id, properties, target):
    response = api.put(f"apis/{api_id}", properties)
    assert target in targets(response)
    assert not Api.objects.exists()


@pytest.mark.parametrize(
    "properties",
    [
        {"displayName": "Echo", "path": "echo", "subscriptionRequired": "yes"},
        {"displayName": "Echo", "path": "echo", "apiType": "soap"},
        {"displayName": ["Echo"], "path": "echo"},
        {"displayName": "Echo", "path": "echo", "subscriptionKeyParameterNames": {"header": "k"}},
    ],
)
def test_wrong_types_and_unknown_properties_are_400(api, db, properties):
    assert_azure_error(api.put("apis/echo", properties), 400, "ValidationError")
    assert not Api.objects.exists()


def test_read_only_properties_echoed_back_are_ignored(api, db):
    response = api.put(
        "apis/echo",
        {
            "displayName": "Echo",
            "path": "echo",
            "isCurrent": True,
            "type": "http",
            "provisioningState": "Succeeded",
            "subscriptionKeyParameterNames": {
                "header": "Ocp-Apim-Subscription-Key",
                "query": "subscription-key",
            },
        },
    )
    assert response.status_code == 201, response.content


def test_a_name_taken_whatever_its_case_is_400(api, make_api):
    make_api("Shipments")
    response = api.put("apis/parcels", {"displayName": "SHIPMENTS", "path": "parcels"})
    assert "displayName" in targets(response)
    assert list(Api.objects.values_list("name", flat=True)) == ["shipments"]


def test_an_id_taken_whatever_its_case_is_400(api, make_api):
    make_api("Shipments")
    response = api.put("apis/SHIPMENTS", {"displayName": "Parcels", "path": "parcels"})
    assert "name" in targets(response)
    assert Api.objects.count() == 1


def test_a_url_suffix_taken_whatever_its_case_is_400_naming_path(api, db):
    api.put("apis/echo", {"displayName": "Echo", "path": "echo"})
    response = api.put("apis/echo-2", {"displayName": "Echo 2", "path": "ECHO/"})
    assert "path" in targets(response)
    assert Api.objects.count() == 1
    # Another version may share the suffix.
    other = api.put("apis/echo-2", {"displayName": "Echo 2", "path": "echo", "apiVersion": "v2"})
    assert other.status_code == 201, other.content


def test_html_and_unicode_are_kept_as_sent(api, db):
    name = "<b>Ünïcode</b> & 🚢 \u202eshipments"
    response = api.put(
        "apis/echo", {"displayName": name, "path": "echo", "description": "<script>x</script>"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["displayName"] == name
    assert Api.objects.get(name="echo").description == "<script>x</script>"


def test_a_refused_patch_changes_nothing(api, make_api):
    make_api("Shipments")
    response = api.patch("apis/shipments", {"displayName": "Parcels", "path": "../x"})
    assert "path" in targets(response)
    found = Api.objects.get(name="shipments")
    assert (found.display_name, found.path, found.version) == ("Shipments", "shipments", 1)


# --- Formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt",
    [
        "openapi-link",
        "openapi+json-link",
        "swagger-link-json",
        "wadl-link-json",
        "wsdl-link",
        "graphql-link",
        "odata-link",
        "grpc-link",
    ],
)
def test_link_formats_are_refused_as_portico_fetches_nothing(api, db, fmt):
    response = api.put(
        "apis/petstore",
        {"format": fmt, "value": "https://example.com/petstore.yaml", "path": "petstore"},
    )
    error = assert_azure_error(response, 400, "ValidationError")
    assert "fetches nothing from the network" in error["message"]
    assert error["details"][0]["target"] == "format"
    assert not Api.objects.exists()


@pytest.mark.parametrize("fmt", ["wadl-xml", "wsdl", "odata", "grpc", "raml", ""])
def test_formats_other_than_openapi_and_swagger_are_refused(api, db, fmt):
    response = api.put("apis/petstore", {"format": fmt, "value": "<x/>", "path": "petstore"})
    error = assert_azure_error(response, 400, "ValidationError")
    assert "openapi+json" in error["message"]
    assert not Api.objects.exists()


@pytest.mark.parametrize(
    ("properties", "target"),
    [
        ({"value": openapi_text()}, "format"),
        ({"format": "openapi+json"}, "value"),
        ({"format": "openapi+json", "value": 42}, "value"),
        ({"format": "openapi", "value": ["openapi: 3.0.3"]}, "value"),
        ({"format": "swagger-json", "value": openapi_text()}, "format"),
        ({"format": "openapi+json", "value": openapi_text(version="3.1.0")}, None),
    ],
)
def test_format_and_value_go_together_and_agree(api, db, properties, target):
    response = api.put("apis/shipments", {**properties, "path": "shipments"})
    if target is None:
        assert response.status_code == 201, response.content
        return
    assert target in targets(response)
    assert not Api.objects.exists()


def test_a_swagger_document_sent_as_openapi_is_refused(api, db):
    swagger = json.dumps(
        {"swagger": "2.0", "info": {"title": "Legacy", "version": "1"}, "paths": {}}
    )
    response = api.put("apis/legacy", {"format": "openapi+json", "value": swagger, "path": "l"})
    error = assert_azure_error(response, 400, "ValidationError")
    assert "swagger-json" in error["message"]


# --- Documents with problems --------------------------------------------------------------


def test_a_document_that_is_not_json_names_its_line(api, db):
    text = '{\n  "openapi": "3.0.3",\n  "info": {"title": "Broken",}\n}'
    response = api.put("apis/broken", {"format": "openapi+json", "value": text, "path": "b"})
    error = assert_azure_error(response, 400, "ValidationError")
    assert error["details"][0]["target"] == "value"
    assert error["details"][0]["message"].startswith("Line 3: ")
    assert not Api.objects.exists()


def test_each_problem_of_a_document_is_a_detail_with_its_line(api, db):
    text = "\n".join(
        [
            "openapi: 3.0.3",
            "info:",
            "  title: Shipments",
            "  version: '1'",
            "paths:",
            "  /shipments:",
            "    get:",
            "      operationId: listShipments",
            "  /parcels:",
            "    get:",
            "      responses:",
            "        '200':",
            "          $ref: 'https://example.com/responses.yaml#/Ok'",
        ]
    )
    response = api.put("apis/shipments", {"format": "openapi", "value": text, "path": "s"})
    error = assert_azure_error(response, 400, "ValidationError")
    messages = [detail["message"] for detail in error["details"]]
    assert any(
        m.startswith("Line 13: ") and "fetches nothing from the network" in m for m in messages
    ), messages
    assert not Api.objects.exists() and not Operation.objects.exists()


def test_a_document_with_a_validation_problem_names_its_line(api, db):
    text = "openapi: 3.0.3\ninfo:\n  title: Shipments\n  version: '1'\npaths:\n  /s:\n    get:\n"
    text += "      operationId: listShipments\n"
    response = api.put("apis/shipments", {"format": "openapi", "value": text, "path": "s"})
    error = assert_azure_error(response, 400, "ValidationError")
    assert error["details"][0]["message"].startswith("Line 7: "), error
    assert "responses" in error["details"][0]["message"]


def test_a_broken_document_leaves_an_existing_api_as_it_was(api, make_api):
    make_api("Shipments")
    response = api.put(
        "apis/shipments", {"format": "openapi+json", "value": "{", "displayName": "Parcels"}
    )
    assert_azure_error(response, 400, "ValidationError")
    found = Api.objects.get(name="shipments")
    assert (found.display_name, found.version, found.operations.count()) == ("Shipments", 1, 4)


# --- Who may call --------------------------------------------------------------------------

CALLS = [
    ("get", "apis"),
    ("get", "apis/shipments"),
    ("head", "apis/shipments"),
    ("put", "apis/shipments"),
    ("patch", "apis/shipments"),
    ("delete", "apis/shipments"),
    ("get", "apis/shipments/operations"),
    ("get", "apis/shipments/operations/listShipments"),
    ("head", "apis/shipments/operations/listShipments"),
    ("get", "apis/shipments/products"),
    ("get", "products/payments/apis"),
    ("put", "products/payments/apis/shipments"),
    ("head", "products/payments/apis/shipments"),
    ("delete", "products/payments/apis/shipments"),
]


def call(client, method: str, path: str, **headers: str):
    sent = body(displayName="Parcels", path="parcels")
    if method in ("put", "patch"):
        return getattr(client, method)(
            url(path), sent, "application/json", HTTP_IF_MATCH="*", **headers
        )
    return getattr(client, method)(url(path), HTTP_IF_MATCH="*", **headers)


@pytest.fixture
def shipments(make_api, product):
    return make_api("Shipments", products=[product])


def unchanged(shipments) -> bool:
    found = Api.objects.filter(pk=shipments.pk).first()
    return (
        found is not None
        and found.version == 1
        and ProductApi.objects.filter(api=found).count() == 1
    )


@pytest.mark.parametrize(("method", "path"), CALLS)
@pytest.mark.parametrize(
    "token",
    ["none", "unknown", "revoked", "expired"],
)
def test_without_a_usable_token_every_call_is_401(
    client, administrator, bearer_for, shipments, method, path, token
):
    headers = {
        "none": {},
        "unknown": {"HTTP_AUTHORIZATION": "Bearer nonsense"},
        "revoked": bearer_for(administrator, revoked_at=timezone.now()),
        "expired": bearer_for(administrator, expires_at=timezone.now() - timedelta(seconds=1)),
    }[token]
    response = call(client, method, path, **headers)
    assert response.status_code == 401
    if method != "head":
        assert_azure_error(response, 401, "AuthenticationFailed")
    assert unchanged(shipments)


@pytest.mark.parametrize(("method", "path"), CALLS)
@pytest.mark.parametrize("who", ["developer", "member", "support_staff", "blocked_administrator"])
def test_anyone_but_an_active_administrator_is_403(
    client, request, make_user, bearer_for, shipments, method, path, who
):
    if who == "blocked_administrator":
        user = make_user(is_superuser=True, is_staff=True, state=User.State.BLOCKED)
    else:
        user = request.getfixturevalue(who)
    response = call(client, method, path, **bearer_for(user))
    assert response.status_code == 403
    if method != "head":
        assert_azure_error(response, 403, "AuthorizationFailed")
    assert unchanged(shipments)


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "MissingApiVersionParameter"), ("?api-version=2099-01-01", "InvalidApiVersionParameter")],
)
@pytest.mark.parametrize("path", ["apis", "apis/shipments/operations", "products/payments/apis"])
def test_api_version_is_checked(client, bearer, shipments, path, query, code):
    response = client.get(f"{SERVICE}/{path}{query}", **bearer)
    assert API_VERSION in assert_azure_error(response, 400, code)["message"] or not query


@pytest.mark.parametrize("number", ["1" * 5000, "NaN", "1e999"])
def test_a_number_json_cannot_hold_is_400_not_500(api, db, number):
    """Found by review: a 5,000-digit number was a 500, NaN a 409 about a taken ID."""
    text = openapi_text()[:-2] + f',\n  "x-n": {number}\n}}'
    response = api.put("apis/numbers", {"format": "openapi+json", "value": text, "path": "n"})
    error = assert_azure_error(response, 400, "ValidationError")
    assert "number" in json.dumps(error)
    assert not Api.objects.exists()
