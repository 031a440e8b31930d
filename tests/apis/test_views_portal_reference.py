"""An API's reference page in the developer portal: who may see it, and what it shows."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from apis import documents
from apis import services as api_services
from tests.apis.conftest import ALL_APIS, DEVELOPER_APIS, GUEST_APIS, PARTNER_APIS
from tests.conftest import normalised, normalised_headers

ROLES = {
    "anonymous": GUEST_APIS,
    "developer": DEVELOPER_APIS,
    "support_staff": DEVELOPER_APIS,
    "other_member": DEVELOPER_APIS,
    "blocked_user": GUEST_APIS,
    "member": PARTNER_APIS,
    "administrator": ALL_APIS,
}
CASES = [(who, name) for who in ROLES for name in sorted(ALL_APIS)]


@pytest.mark.parametrize(("who", "name"), CASES)
@pytest.mark.parametrize("url_name", ["portal:api", "portal:api_document"])
def test_hidden_is_the_same_404_as_missing(client, api_shelf, sign_in_as, who, name, url_name):
    sign_in_as(who)

    response = client.get(reverse(url_name, args=[name]))
    missing = client.get(reverse(url_name, args=["no-such-api"]))

    assert missing.status_code == 404
    if name in ROLES[who]:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert normalised(response.content) == normalised(missing.content)
        assert normalised_headers(response) == normalised_headers(missing)
        assert api_shelf[name].display_name not in response.content.decode()


def test_page_shows_the_api(client, api_shelf, member, settings):
    settings.PORTICO_GATEWAY_URL = "https://api.example.com"
    client.force_login(member)

    body = client.get(reverse("portal:api", args=["shipments"])).content.decode()

    assert "<h1" in body and "Shipments" in body
    assert "<p>The Shipments API.</p>" in body
    assert "https://api.example.com/shipments" in body
    assert "Ocp-Apim-Subscription-Key" in body and "subscription-key" in body
    assert 'href="/products/partner-deals/"' in body
    assert 'href="/apis/shipments/openapi.json"' in body
    # Grouped by tag, with a table of contents.
    assert 'href="#op-listShipments"' in body and 'id="op-listShipments"' in body


def test_page_base_url_defaults_to_the_portals_own_host(client, api_shelf):
    body = client.get(reverse("portal:api", args=["forecasts"])).content.decode()

    assert "https://testserver/forecasts" in body


def test_open_api_needs_no_key(client, make_api, make_product, guests):
    make_api("Open", products=[make_product("Free", groups=[guests])], subscription_required=False)

    body = client.get(reverse("portal:api", args=["open"])).content.decode()

    assert "Ocp-Apim-Subscription-Key" not in body
    assert "calls need no subscription key" in body


def test_page_lists_only_the_products_the_viewer_sees(client, api_shelf, developer, shelf):
    api_services.add_apis(
        product=shelf["partner-deals"], apis=[api_shelf["billing"]], added_by=None
    )
    client.force_login(developer)

    body = client.get(reverse("portal:api", args=["billing"])).content.decode()

    assert 'href="/products/payments/"' in body
    assert "partner-deals" not in body and "Partner Deals" not in body


@pytest.mark.parametrize(
    ("who", "shown"),
    [("member", False), ("beta_member", True), ("administrator", True)],
)
def test_restricted_operations_are_left_out(client, api_shelf, sign_in_as, who, shown):
    sign_in_as(who)

    body = client.get(reverse("portal:api", args=["shipments"])).content.decode()

    assert ("cancelShipment" in body) is shown
    assert ("Admin" in body) is shown
    assert "getShipment" in body


def test_untagged_operations_go_under_other(client, make_api, make_product, member):
    text = json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "Mixed", "version": "1"},
            "tags": [{"name": "Zeta", "description": "Last *declared*."}],
            "paths": {
                "/a": {
                    "get": {"operationId": "untagged", "responses": {"200": {"description": "OK"}}}
                },
                "/b": {
                    "get": {
                        "operationId": "tagged",
                        "tags": ["Zeta"],
                        "responses": {"200": {"description": "OK"}},
                    }
                },
            },
        }
    )
    make_api("Mixed", text=text, products=[make_product("Deals")])
    client.force_login(member)

    body = client.get(reverse("portal:api", args=["mixed"])).content.decode()

    assert body.index(">Zeta</h2>") < body.index(">Other</h2>")
    assert "Last <em>declared</em>." in body


def test_page_follows_a_new_document(client, api_shelf, member):
    client.force_login(member)
    assert (
        "renamedOperation"
        not in client.get(reverse("portal:api", args=["shipments"])).content.decode()
    )
    text = json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "Shipments", "version": "2"},
            "paths": {
                "/x": {
                    "get": {
                        "operationId": "renamedOperation",
                        "responses": {"200": {"description": "OK"}},
                    }
                }
            },
        }
    )
    api_services.replace_document(
        api=api_shelf["shipments"], document=documents.read(text), expected_version=None
    )

    body = client.get(reverse("portal:api", args=["shipments"])).content.decode()

    assert "renamedOperation" in body and "listShipments" not in body
