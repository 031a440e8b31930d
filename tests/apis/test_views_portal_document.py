"""An API's document to download from the developer portal, filtered for the viewer."""

from __future__ import annotations

import json

import pytest
import yaml
from django.urls import reverse

from apis import services
from tests.apis.test_reference import SWAGGER


def download(client, name, extension="json"):
    url_name = "portal:api_document" if extension == "json" else "portal:api_document_yaml"
    response = client.get(reverse(url_name, args=[name]))
    assert response.status_code == 200
    return response


def test_download_is_an_attachment(client, api_shelf):
    response = download(client, "forecasts")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="forecasts.openapi.json"'
    assert json.loads(response.content)["info"]["title"] == "Forecasts"


def test_download_points_at_the_gateway_and_declares_the_key(client, api_shelf, settings):
    settings.PORTICO_GATEWAY_URL = "https://gw.example.com/base"

    document = json.loads(download(client, "forecasts").content)

    assert document["servers"] == [{"url": "https://gw.example.com/base/forecasts"}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKeyHeader"] == {
        "type": "apiKey",
        "name": "Ocp-Apim-Subscription-Key",
        "in": "header",
    }
    assert schemes["apiKeyQuery"] == {"type": "apiKey", "name": "subscription-key", "in": "query"}
    assert document["security"] == [{"apiKeyHeader": []}, {"apiKeyQuery": []}]


def test_download_lists_each_protocol(client, make_api, make_product, guests, settings):
    settings.PORTICO_GATEWAY_URL = "http://gw.example.com"
    make_api("Both", products=[make_product("Free", groups=[guests])], protocols="http,https")

    document = json.loads(download(client, "both").content)

    assert document["servers"] == [
        {"url": "http://gw.example.com/both"},
        {"url": "https://gw.example.com/both"},
    ]


def test_open_api_declares_no_key(client, make_api, make_product, guests):
    make_api("Open", products=[make_product("Free", groups=[guests])], subscription_required=False)

    document = json.loads(download(client, "open").content)

    assert "security" not in document
    assert "securitySchemes" not in document.get("components", {})


@pytest.mark.parametrize(
    ("who", "shown"),
    [("member", False), ("beta_member", True), ("administrator", True)],
)
def test_restricted_operations_are_removed(client, api_shelf, sign_in_as, who, shown):
    sign_in_as(who)

    document = json.loads(download(client, "shipments").content)

    operations = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert ("cancelShipment" in operations) is shown
    assert {"listShipments", "createShipment", "getShipment"} <= operations
    assert ("Admin" in json.dumps(document)) is shown


def test_emptied_paths_and_unused_tags_are_dropped(client, make_api, make_product, member, beta):
    text = json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "Doc", "version": "1"},
            "tags": [{"name": "Public"}, {"name": "Admin"}, {"name": "Unused"}],
            "paths": {
                "/public": {
                    "get": {
                        "operationId": "a",
                        "tags": ["Public"],
                        "responses": {"200": {"description": "OK"}},
                    }
                },
                "/admin": {
                    "parameters": [{"name": "x", "in": "query", "schema": {"type": "string"}}],
                    "delete": {
                        "operationId": "b",
                        "tags": ["Admin"],
                        "responses": {"200": {"description": "OK"}},
                    },
                },
            },
        }
    )
    api = make_api("Doc", text=text, products=[make_product("Deals")])
    services.restrict(api=api, kind="operation", target="b", groups=[beta], added_by=None)
    client.force_login(member)

    document = json.loads(download(client, "doc").content)

    assert list(document["paths"]) == ["/public"]
    assert [tag["name"] for tag in document["tags"]] == ["Public", "Unused"]


def test_swagger_document_gets_host_and_security(client, make_api, make_product, member, settings):
    settings.PORTICO_GATEWAY_URL = "https://gw.example.com"
    make_api("Old", text=json.dumps(SWAGGER), products=[make_product("Deals")], path="old/v1")
    client.force_login(member)

    document = json.loads(download(client, "old").content)

    assert document["host"] == "gw.example.com"
    assert document["basePath"] == "/old/v1"
    assert document["schemes"] == ["https"]
    assert document["securityDefinitions"]["apiKeyHeader"]["name"] == "Ocp-Apim-Subscription-Key"
    assert document["security"] == [{"apiKeyHeader": []}, {"apiKeyQuery": []}]


def test_yaml_download(client, api_shelf):
    response = download(client, "forecasts", "yaml")

    assert response["Content-Disposition"] == 'attachment; filename="forecasts.openapi.yaml"'
    assert yaml.safe_load(response.content)["info"]["title"] == "Forecasts"


def test_stored_document_is_not_changed(client, api_shelf, member):
    client.force_login(member)
    before = json.dumps(api_shelf["shipments"].document, sort_keys=True)

    download(client, "shipments")

    api_shelf["shipments"].refresh_from_db()
    assert json.dumps(api_shelf["shipments"].document, sort_keys=True) == before


SCHEMAS_DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Vault", "version": "1"},
    "paths": {
        "/items": {
            "get": {
                "operationId": "listItems",
                "responses": {"200": {"$ref": "#/components/responses/Items"}},
            },
            "delete": {
                "operationId": "purge",
                "parameters": [{"$ref": "#/components/parameters/Reason"}],
                "responses": {
                    "200": {
                        "description": "Purged",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/PurgeReport"}
                            }
                        },
                    }
                },
            },
        }
    },
    "components": {
        "schemas": {
            "Item": {"type": "object", "properties": {"id": {"type": "string"}}},
            "PurgeReport": {
                "type": "object",
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                    "auditor": {"$ref": "#/components/schemas/Auditor"},
                },
            },
            "Auditor": {"type": "string"},
            "LeftUnused": {"type": "string"},
        },
        "responses": {
            "Items": {
                "description": "Items",
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
                    }
                },
            }
        },
        "parameters": {"Reason": {"name": "reason", "in": "query", "schema": {"type": "string"}}},
    },
}


@pytest.mark.parametrize(("who", "shown"), [("member", False), ("beta_member", True)])
def test_parts_only_a_hidden_operation_uses_are_left_out_of_the_file(
    client, make_api, make_product, sign_in_as, beta, who, shown
):
    api = make_api("Vault", text=json.dumps(SCHEMAS_DOCUMENT), products=[make_product("Deals")])
    services.restrict(api=api, kind="operation", target="purge", groups=[beta], added_by=None)
    sign_in_as(who)

    components = json.loads(download(client, "vault").content)["components"]

    # Item is shared with a visible operation, and LeftUnused was the author's choice.
    assert {"Item", "LeftUnused"} <= set(components["schemas"])
    assert ("PurgeReport" in components["schemas"]) is shown
    assert ("Auditor" in components["schemas"]) is shown
    assert ("Reason" in components.get("parameters", {})) is shown
    assert "Items" in components["responses"]


SHARED_ITEMS = {
    "openapi": "3.1.0",
    "info": {"title": "Shared", "version": "1"},
    "paths": {
        "/public": {
            "get": {
                "operationId": "pub",
                "responses": {"200": {"$ref": "#/components/pathItems/Admin/post/responses/200"}},
            }
        },
        "/admin": {"$ref": "#/components/pathItems/Admin"},
    },
    "components": {
        "pathItems": {
            "Admin": {
                "post": {
                    "operationId": "secretOp",
                    "description": "TOPSECRET",
                    "responses": {"200": {"description": "Plain OK"}},
                }
            }
        }
    },
}


def test_a_hidden_operation_in_a_shared_path_item_is_not_in_the_file(
    client, make_api, make_product, member, beta
):
    """Found by review: with its path item under x-shared, the hidden operation stayed."""
    api = make_api("Shared", text=json.dumps(SHARED_ITEMS), products=[make_product("Deals")])
    services.restrict(api=api, kind="operation", target="secretOp", groups=[beta], added_by=None)
    client.force_login(member)

    text = download(client, "shared").content.decode()

    assert "TOPSECRET" not in text
    document = json.loads(text)
    assert list(document["paths"]) == ["/public"]
    # The visible operation pointed into the hidden one's path item: that part is written out.
    assert document["paths"]["/public"]["get"]["responses"]["200"] == {"description": "Plain OK"}
